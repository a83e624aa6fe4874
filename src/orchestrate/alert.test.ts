// A SQL alert's state as Databricks SQL alerts evaluate it (evaluation: a source column of the
// query's result, optionally aggregated over its rows, compared with a threshold; no row:
// empty_result_state). Expected states computed by hand.
import { describe, expect, it } from 'vitest';
import type { AlertSettings } from '../project/index.js';
import { evaluateAlert } from './alert.js';

const alert = (evaluation: Partial<AlertSettings['evaluation']>): AlertSettings =>
  ({
    display_name: 'a',
    query_text: 'SELECT 1',
    evaluation: { comparison_operator: 'GREATER_THAN', source: { name: 'v' }, ...evaluation },
  }) as AlertSettings;
const above = (t: number) => ({ threshold: { value: { double_value: t } } });

describe('SQL alert evaluation', () => {
  it('the first row against a number: TRIGGERED when the condition holds, else OK', () => {
    expect(evaluateAlert(alert(above(1)), [1.5, 0])).toEqual({ state: 'TRIGGERED', value: 1.5 });
    expect(evaluateAlert(alert(above(1)), ['0.8'])).toEqual({ state: 'OK', value: '0.8' });
    expect(evaluateAlert(alert({ ...above(1), comparison_operator: 'LESS_THAN_OR_EQUAL' }), [1])).toMatchObject({
      state: 'TRIGGERED',
    });
  });

  it('aggregations over every row: SUM 6, AVG 2, MAX 3, COUNT 3 (NULL not counted), MEDIAN 2', () => {
    const rows = [1, 2, 3, null];
    expect(evaluateAlert(alert({ ...above(5), source: { name: 'v', aggregation: 'SUM' } }), rows)).toEqual({
      state: 'TRIGGERED',
      value: 6,
    });
    expect(evaluateAlert(alert({ ...above(2), source: { name: 'v', aggregation: 'AVG' } }), rows)).toEqual({
      state: 'OK',
      value: 2,
    });
    expect(evaluateAlert(alert({ ...above(2), source: { name: 'v', aggregation: 'MAX' } }), rows).value).toBe(3);
    expect(evaluateAlert(alert({ ...above(2), source: { name: 'v', aggregation: 'COUNT' } }), rows).value).toBe(3);
    expect(evaluateAlert(alert({ ...above(2), source: { name: 'v', aggregation: 'MEDIAN' } }), rows).value).toBe(2);
  });

  it('no row: empty_result_state (UNKNOWN unless given); IS_NULL needs no threshold; text compares as text', () => {
    expect(evaluateAlert(alert(above(1)), [])).toEqual({ state: 'UNKNOWN', value: null });
    expect(evaluateAlert(alert({ ...above(1), empty_result_state: 'TRIGGERED' }), [])).toMatchObject({
      state: 'TRIGGERED',
    });
    expect(evaluateAlert(alert({ comparison_operator: 'IS_NULL' }), [null])).toMatchObject({ state: 'TRIGGERED' });
    expect(
      evaluateAlert(alert({ comparison_operator: 'EQUAL', threshold: { value: { string_value: 'late' } } }), ['late']),
    ).toMatchObject({ state: 'TRIGGERED' });
  });
});
