// CAST(x AS INT/BIGINT/...) takes a fast path for values whose text is a plain integer. It must
// give exactly what the general Spark path (truncate through DECIMAL(38, 9), NULL when invalid,
// pinned in spark.test.ts against Spark's documented results) gives, for every kind of input.
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { quoteLiteral } from '../engine/index.js';
import { sparkToDuckdb } from './spark.js';

const held = useSession(1);

const STRINGS = [
  '0',
  '7',
  '-0',
  '+5',
  '007',
  '-12',
  '12.5',
  '-12.7',
  ' 10 ',
  '10 ',
  ' -3',
  '',
  ' ',
  'abc',
  '1e3',
  '1E3',
  '0x10',
  '1_000',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '2147483647',
  '2147483648',
  '-2147483649',
  '32767',
  '32768',
  '127',
  '128',
  '-129',
  '999999999999999999',
  '1000000000000000000',
  '12.',
  '.5',
  '+',
  '-',
  '1-2',
  '١٢',
  'NaN',
  'Infinity',
  '12abc',
  '\t12',
  '12\n',
];

describe('CAST to an integral type', () => {
  it("gives the general path's result for strings, numbers, booleans and NULL, for every integral type", async () => {
    const inputs = [
      ...STRINGS.map((s) => `${quoteLiteral(s)}::VARCHAR`),
      '12::INTEGER',
      '-7::BIGINT',
      '12.7::DOUBLE',
      '-12.5::DOUBLE',
      '1e20::DOUBLE',
      '12.00::DECIMAL(10,2)',
      '3::DECIMAL(10,0)',
      'true',
      'false',
      'NULL',
      "'nan'::DOUBLE",
      '300::SMALLINT',
      '2147483648::BIGINT',
    ];
    // A generated spread of integer-looking strings too.
    for (let k = 0; k < 200; k++)
      inputs.push(`${quoteLiteral(String(Math.round(Math.sin(k) * 10 ** (k % 20))))}::VARCHAR`);
    for (const type of ['TINYINT', 'SMALLINT', 'INT', 'BIGINT']) {
      const fast = inputs.map((x) => sparkToDuckdb(`CAST(${x} AS ${type})`));
      expect(fast[0]).toMatch(/regexp_full_match/);
      const duck = { TINYINT: 'TINYINT', SMALLINT: 'SMALLINT', INT: 'INTEGER', BIGINT: 'BIGINT' }[type]!;
      const general = inputs.map((x) => `TRY_CAST(trunc(TRY_CAST(${x} AS DECIMAL(38, 9))) AS ${duck})`);
      const r = await held.session.query(`SELECT ${[...fast, ...general].map((e, i) => `${e} AS c${i}`).join(', ')}`);
      const row = r.rows[0];
      const got = row.slice(0, inputs.length);
      const want = row.slice(inputs.length);
      expect(got.map((v, i) => [inputs[i], v])).toEqual(want.map((v, i) => [inputs[i], v]));
    }
  });
});
