// The binary format against PostgreSQL's own: each value, in the form the engine's rows hold it,
// encoded by binaryValue and compared byte for byte with what a real PostgreSQL 15's *send
// function gives for the same value; binary parameters (PostgreSQL's bytes) decoded and read back
// by PostgreSQL. Without PostgreSQL's server programs the comparisons are skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  localPostgresMissing,
  skipNote,
  startLocalPostgres,
  type LocalPostgres,
} from '../../test/helpers/local-postgres.js';
import { binaryValue, decodeBinaryParameter, numericSend, numericText } from './binary.js';
import { blobBytes, intervalText } from './engine-values.js';
import { PG, textValue, type PgType } from './types.js';

/** A value as the engine gives it, and the SQL PostgreSQL makes the same value's bytes with. */
type Case = [engineValue: unknown, postgres: string];

const CASES: { type: PgType; cases: Case[] }[] = [
  {
    type: PG.bool,
    cases: [
      [true, 'boolsend(true)'],
      [false, 'boolsend(false)'],
    ],
  },
  {
    type: PG.int2,
    cases: [0, 1, -1, 32767, -32768].map((n) => [n, `int2send('${n}'::int2)`]),
  },
  {
    type: PG.int4,
    cases: [0, 42, -42, 2147483647, -2147483648].map((n) => [n, `int4send('${n}'::int4)`]),
  },
  {
    type: PG.int8,
    cases: [
      [1, 'int8send(1::int8)'],
      [-42, "int8send('-42'::int8)"],
      [9007199254740991, 'int8send(9007199254740991)'],
      ['12345678901234567', 'int8send(12345678901234567)'],
      ['9223372036854775807', 'int8send(9223372036854775807)'],
      ['-9223372036854775808', "int8send('-9223372036854775808'::int8)"],
    ],
  },
  {
    type: { oid: 26, len: 4, name: 'oid' },
    cases: [
      [0, 'oidsend(0)'],
      [1259, 'oidsend(1259)'],
      [4294967295, "oidsend('4294967295')"],
    ],
  },
  {
    type: PG.float4,
    cases: [
      [1.5, "float4send('1.5')"],
      [0.10000000149011612, "float4send('0.1')"], // a FLOAT 0.1 as the engine gives it (the single's exact value)
      [-2.5e-10, "float4send('-2.5e-10')"],
      [3.4028234663852886e38, "float4send('3.4028235e38')"],
      [0, "float4send('0')"],
      ['NaN', "float4send('NaN')"],
      ['Infinity', "float4send('Infinity')"],
      ['-Infinity', "float4send('-Infinity')"],
    ],
  },
  {
    type: PG.float8,
    cases: [
      [0.1, "float8send('0.1')"],
      [-2.5, "float8send('-2.5')"],
      [1e300, "float8send('1e300')"],
      [5e-324, "float8send('5e-324')"],
      [123456789.123456789, "float8send('123456789.123456789')"],
      ['NaN', "float8send('NaN')"],
      ['Infinity', "float8send('Infinity')"],
      ['-Infinity', "float8send('-Infinity')"],
    ],
  },
  {
    type: PG.numeric,
    cases: [
      '0',
      '0.0000',
      '-0.0000',
      '1',
      '-1',
      '10000',
      '100000000',
      '12.5000',
      '-12.5000',
      '0.0001',
      '-0.0001',
      '0.00001',
      '1.10',
      '9999.9999',
      '123456789.123456789',
      '-1234567890123456789012345678.0123456789',
      '99999999999999999999999999999999999999',
      '0.00000000000000000000000000000000000001',
      '123456789012345678901234567890',
      'NaN',
      'Infinity',
      '-Infinity',
    ]
      .map((s): Case => [s, `numeric_send('${s}'::numeric)`])
      .concat([
        [12345, "numeric_send('12345'::numeric)"], // a HUGEINT the engine gave as a number
        [1e20, "numeric_send('100000000000000000000'::numeric)"],
      ]),
  },
  {
    type: PG.text,
    cases: [
      ['héllo ✓ 𝄞', "textsend('héllo ✓ 𝄞')"],
      ['', "textsend('')"],
      ["it's", "textsend('it''s')"],
    ],
  },
  { type: PG.varchar, cases: [['abc', "varcharsend('abc')"]] },
  {
    type: PG.json,
    cases: [
      [{ a: 1, b: [1, 'x', null] }, `json_send('{"a":1,"b":[1,"x",null]}'::json)`],
      [[1, 2], `json_send('[1,2]'::json)`],
    ],
  },
  {
    type: PG.date,
    cases: [
      ['2024-01-02', "date_send('2024-01-02')"],
      ['2000-01-01', "date_send('2000-01-01')"],
      ['1999-12-31', "date_send('1999-12-31')"],
      ['1970-01-01', "date_send('1970-01-01')"],
      ['1900-03-01', "date_send('1900-03-01')"],
      ['2024-02-29', "date_send('2024-02-29')"],
      ['0001-01-01', "date_send('0001-01-01')"],
      ['0044-03-15 (BC)', "date_send('0044-03-15 BC')"],
      ['4713-11-24 (BC)', "date_send('4713-11-24 BC')"],
      ['9999-12-31', "date_send('9999-12-31')"],
      ['5874897-12-31', "date_send('5874897-12-31')"],
      ['5881580-07-11', "date_send('infinity')"], // DuckDB's infinity
      ['5877642-06-24 (BC)', "date_send('-infinity')"],
      ['infinity', "date_send('infinity')"],
    ],
  },
  {
    type: PG.time,
    cases: ['00:00:00', '12:34:56.789012', '23:59:59.999999', '24:00:00', '08:00:00.5'].map((t) => [
      t,
      `time_send('${t}')`,
    ]),
  },
  {
    type: PG.timestamp,
    cases: [
      ['2024-01-02 03:04:05.123456', "timestamp_send('2024-01-02 03:04:05.123456')"],
      ['2000-01-01 00:00:00', "timestamp_send('2000-01-01 00:00:00')"],
      ['1999-12-31 23:59:59.999999', "timestamp_send('1999-12-31 23:59:59.999999')"],
      ['1900-01-01 00:00:00.000001', "timestamp_send('1900-01-01 00:00:00.000001')"],
      ['0044-03-15 (BC) 12:00:00', "timestamp_send('0044-03-15 12:00:00 BC')"],
      ['294246-12-31 23:59:59.999999', "timestamp_send('294246-12-31 23:59:59.999999')"],
      ['2024-01-02 03:04:05.123456789', "timestamp_send('2024-01-02 03:04:05.123456789')"], // TIMESTAMP_NS: rounded
      ['2024-01-02 03:04:05.123', "timestamp_send('2024-01-02 03:04:05.123')"], // TIMESTAMP_MS
      ['infinity', "timestamp_send('infinity')"],
      ['-infinity', "timestamp_send('-infinity')"],
    ],
  },
  {
    type: PG.timestamptz,
    cases: [
      ['2024-01-02 01:04:05.123456+00', "timestamptz_send('2024-01-02 03:04:05.123456+02')"],
      ['1800-01-01 00:00:00+00', "timestamptz_send('1800-01-01 00:00:00+00')"],
      ['2024-07-01 12:00:00+05:30', "timestamptz_send('2024-07-01 06:30:00Z')"],
      ['0044-03-15 (BC) 12:00:00+00', "timestamptz_send('0044-03-15 12:00:00+00 BC')"],
      ['infinity', "timestamptz_send('infinity')"],
      ['-infinity', "timestamptz_send('-infinity')"],
    ],
  },
  {
    type: PG.interval,
    cases: [
      [{ months: 14, days: 3, micros: '14706789000' }, "interval_send('1 year 2 months 3 days 04:05:06.789')"],
      [{ months: 0, days: -1, micros: '-1000000' }, "interval_send('-1 day -00:00:01')"],
      [{ months: 0, days: 0, micros: '5400000000' }, "interval_send('90 minutes')"],
      [{ months: 0, days: 0, micros: '0' }, "interval_send('0')"],
      [{ months: -14, days: 0, micros: 0 }, "interval_send('-1 year -2 months')"],
      [{ months: 1, days: -2, micros: '3000001' }, "interval_send('1 mon -2 days 00:00:03.000001')"],
    ],
  },
  {
    type: PG.uuid,
    cases: [
      ['e6790669-1cf5-40e1-b058-9a6a74d23206', "uuid_send('e6790669-1cf5-40e1-b058-9a6a74d23206')"],
      ['00000000-0000-0000-0000-000000000000', "uuid_send('00000000-0000-0000-0000-000000000000')"],
    ],
  },
  {
    type: PG.bytea,
    cases: [
      ['abc\\x00', "byteasend('\\x61626300'::bytea)"],
      ['\\xFF\\x00a', "byteasend('\\xff0061'::bytea)"],
      ['', "byteasend(''::bytea)"],
      ['a\\b', "byteasend('\\x615c62'::bytea)"], // a backslash byte, which DuckDB leaves unescaped
    ],
  },
];

const missing = localPostgresMissing();

describe.skipIf(missing)(`binary format compared with PostgreSQL 15's ${skipNote(missing)}`, () => {
  let postgres: LocalPostgres;
  beforeAll(async () => {
    postgres = await startLocalPostgres();
  });
  afterAll(() => postgres?.stop());

  /** PostgreSQL's bytes of each expression (one query). */
  async function pgBytes(expressions: string[]): Promise<Buffer[]> {
    const [row] = await postgres.query<Record<string, Buffer>>(
      `SELECT ${expressions.map((e, i) => `${e} AS c${i}`).join(', ')}`,
    );
    return expressions.map((_, i) => row[`c${i}`]);
  }

  for (const { type, cases } of CASES) {
    it(`encodes ${type.name} values as PostgreSQL's ${type.name} send function does`, async () => {
      const expected = await pgBytes(cases.map(([, sql]) => sql));
      const got = cases.map(([v]) => binaryValue(v, type)!.toString('hex'));
      expect(got).toEqual(expected.map((b) => b.toString('hex')));
    });
  }

  it('decodes binary parameters (PostgreSQL bytes) into text PostgreSQL reads back as the same value', async () => {
    const typeNames: Record<number, string> = {
      [PG.int2.oid]: 'int2',
      [PG.int4.oid]: 'int4',
      [PG.int8.oid]: 'int8',
      [PG.float4.oid]: 'float4',
      [PG.float8.oid]: 'float8',
      [PG.numeric.oid]: 'numeric',
      [PG.bool.oid]: 'bool',
      [PG.text.oid]: 'text',
      [PG.varchar.oid]: 'varchar',
      [PG.date.oid]: 'date',
      [PG.timestamp.oid]: 'timestamp',
      [PG.timestamptz.oid]: 'timestamptz',
      [PG.uuid.oid]: 'uuid',
      26: 'oid',
    };
    const mismatches: string[] = [];
    for (const { type, cases } of CASES) {
      const name = typeNames[type.oid];
      if (!name) continue;
      const sent = await pgBytes(cases.map(([, sql]) => sql));
      for (const bytes of sent) {
        // DuckDB writes years before 1 as "(BC)" after the date; PostgreSQL as " BC" at the end.
        const text = decodeBinaryParameter(bytes, type.oid).replace(/ \(BC\)(.*)$/, '$1 BC');
        const [back] = await postgres.query<{ b: Buffer }>(`SELECT ${sendOf(name)}($1::${name}) AS b`, [text]);
        if (!back.b.equals(bytes))
          mismatches.push(`${name} ${bytes.toString('hex')} -> ${text} -> ${back.b.toString('hex')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('writes intervals and bytea in text format as PostgreSQL does', async () => {
    const intervals = CASES.find((c) => c.type === PG.interval)!.cases;
    const pgText = await postgres.query<{ t: string }>(
      `SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i), LATERAL (SELECT s::interval::text AS t) x ORDER BY i`,
      [intervals.map(([, sql]) => /'(.*)'/.exec(sql)![1])],
    );
    expect(intervals.map(([v]) => textValue(v, PG.interval)!.toString())).toEqual(pgText.map((r) => r.t));
    const [bytea] = await postgres.query<{ t: string }>(`SELECT '\\x00ff615c'::bytea::text AS t`);
    expect(textValue('\\x00\\xFFa\\', PG.bytea)!.toString()).toBe(bytea.t);
  });
});

function sendOf(type: string): string {
  return (
    {
      int2: 'int2send',
      int4: 'int4send',
      int8: 'int8send',
      float4: 'float4send',
      float8: 'float8send',
      bool: 'boolsend',
      text: 'textsend',
      varchar: 'varcharsend',
      uuid: 'uuid_send',
      oid: 'oidsend',
    }[type] ?? `${type}_send`
  );
}

describe('binary parameters without a server', () => {
  it('reads each type it knows', () => {
    expect(decodeBinaryParameter(Buffer.from([0, 0, 0, 42]), PG.int4.oid)).toBe('42');
    expect(decodeBinaryParameter(Buffer.from([0xff, 0xfe]), PG.int2.oid)).toBe('-2');
    expect(decodeBinaryParameter(Buffer.from([1]), PG.bool.oid)).toBe('true');
    expect(decodeBinaryParameter(Buffer.from('café'), PG.text.oid)).toBe('café');
    expect(decodeBinaryParameter(Buffer.from('x'), 0)).toBe('x'); // unspecified: text
    expect(decodeBinaryParameter(Buffer.from([0x41, 0x00, 0x5c]), PG.bytea.oid)).toBe('\\x41\\x00\\x5C');
    const single = Buffer.alloc(4);
    single.writeFloatBE(0.1);
    expect(decodeBinaryParameter(single, PG.float4.oid)).toBe('0.1');
    expect(decodeBinaryParameter(Buffer.from([0, 0, 0, 0]), PG.date.oid)).toBe('2000-01-01');
    expect(decodeBinaryParameter(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), PG.timestamptz.oid)).toBe(
      '2000-01-01 00:00:00+00',
    );
  });

  it('refuses an unknown type in binary (0A000) and bytes of the wrong size (22P03)', () => {
    expect(() => decodeBinaryParameter(Buffer.from([1, 2]), 600 /* point */, 2)).toThrow(
      expect.objectContaining({
        code: 'SQL_UNSUPPORTED',
        message: expect.stringMatching(/parameter 2 of type OID 600/),
      }),
    );
    expect(() => decodeBinaryParameter(Buffer.from([0, 0, 42]), PG.int4.oid)).toThrow(
      /incorrect binary data format in bind parameter 1: int4 takes 4 bytes, not 3/,
    );
    expect(() => decodeBinaryParameter(Buffer.from([0xff, 0xfe]), 0)).toThrow(/not UTF-8 text/);
    expect(() => decodeBinaryParameter(Buffer.from([0, 1, 0, 0, 0x12, 0x34, 0, 0, 0, 0]), PG.numeric.oid)).toThrow(
      /not a numeric value/,
    );
  });

  it('reads numeric bytes back to the text they were made from', () => {
    for (const s of ['0', '0.0000', '12.5000', '-0.0001', '123456789.123456789', '1.10', '10000', 'NaN'])
      expect(numericText(numericSend(s))).toBe(s);
    expect(numericText(numericSend('-0.00'))).toBe('0.00');
  });

  it("reads the engine's blob text, a backslash byte left as is", () => {
    expect(blobBytes('abc\\x00\\xFF').toString('hex')).toBe('61626300ff');
    expect(blobBytes('a\\b\\').toString('hex')).toBe('615c625c');
    expect(intervalText({ months: 0, days: 0, micros: 0 })).toBe('00:00:00');
  });
});
