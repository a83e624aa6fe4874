import { describe, expect, it } from 'vitest';
import { parseCdc } from './cdc-parse.js';

describe('AUTO CDC clauses', () => {
  it('parses every clause, in the documented order', () => {
    const spec = parseCdc(`FROM STREAM(LIVE.customers_cdc)
      KEYS (customer_id, region) IGNORE NULL UPDATES
      APPLY AS DELETE WHEN operation = 'DELETE'
      SEQUENCE BY struct(updated_at, seq_no)
      COLUMNS * EXCEPT (operation, _rescued_data)
      STORED AS SCD TYPE 2
      TRACK HISTORY ON * EXCEPT (last_login);`);
    expect(spec).toEqual({
      source: 'STREAM(LIVE.customers_cdc)',
      keys: ['customer_id', 'region'],
      ignoreNullUpdates: true,
      deleteWhen: "operation = 'DELETE'",
      sequenceBy: 'struct(updated_at, seq_no)',
      columns: { except: ['operation', '_rescued_data'] },
      scdType: 2,
      trackHistory: { except: ['last_login'] },
    });
  });

  it('defaults: SCD type 1, every column; a column list; truncate', () => {
    expect(
      parseCdc(
        `FROM STREAM(cdc) KEYS (id) APPLY AS TRUNCATE WHEN op = 'TRUNCATE' SEQUENCE BY ts COLUMNS id, name, \`city\``,
      ),
    ).toEqual({
      source: 'STREAM(cdc)',
      keys: ['id'],
      ignoreNullUpdates: false,
      truncateWhen: "op = 'TRUNCATE'",
      sequenceBy: 'ts',
      columns: { only: ['id', 'name', 'city'], except: [] },
      scdType: 1,
    });
  });

  it('names what is wrong and where', () => {
    const offsetOf = (text: string) => {
      try {
        parseCdc(text);
      } catch (err) {
        return [(err as Error).message, (err as { offset: number }).offset];
      }
      return undefined;
    };
    expect(offsetOf('FROM STREAM(x) SEQUENCE BY ts')).toEqual(['KEYS (...) is required', 29]);
    expect(offsetOf('FROM STREAM(x) KEYS (id)')).toEqual(['SEQUENCE BY is required', 24]);
    expect(offsetOf('FROM STREAM(x) KEYS (id) SEQUENCE BY ts STORED AS SCD TYPE 3')).toEqual([
      'expected SCD TYPE 1 or SCD TYPE 2',
      59,
    ]);
    expect(offsetOf('FROM STREAM(x) KEYS (id) SEQUENCE BY ts TRACK HISTORY ON a')?.[0]).toBe(
      'TRACK HISTORY ON needs STORED AS SCD TYPE 2',
    );
    expect(offsetOf('FROM STREAM(x) KEYS (id) SEQUENCE BY ts KEYS (b)')?.[0]).toBe('KEYS is given twice');
    expect(offsetOf('FROM STREAM(x) KEYS (id) ORDER BY a SEQUENCE BY ts')?.[0]).toMatch(
      /^unexpected 'ORDER': expected KEYS/,
    );
  });
});

describe('AUTO CDC clause errors', () => {
  it('are LocatedErrors (SQL_SYNTAX) at an offset in the clauses', async () => {
    const { LocatedError } = await import('../core/index.js');
    const err = (() => {
      try {
        parseCdc('FROM STREAM(x)\n  KEYS (id) SEQUENCE BY ts STORED AS SCD TYPE 3');
      } catch (e) {
        return e as InstanceType<typeof LocatedError>;
      }
    })()!;
    expect(err).toBeInstanceOf(LocatedError);
    expect(err.code).toBe('SQL_SYNTAX');
    expect(err.withText('FROM STREAM(x)\n  KEYS (id) SEQUENCE BY ts STORED AS SCD TYPE 3').message).toBe(
      'expected SCD TYPE 1 or SCD TYPE 2 (line 2, column 47)',
    );
  });
});
