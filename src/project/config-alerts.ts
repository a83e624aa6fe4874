// strata.yaml `alerts.<key>`: SQL alerts with the fields of a bundle's `resources.alerts.<key>`
// (Databricks SQL alerts v2), run by a job's alert_task.
import { z } from 'zod';

const OPERATORS = [
  'GREATER_THAN',
  'GREATER_THAN_OR_EQUAL',
  'LESS_THAN',
  'LESS_THAN_OR_EQUAL',
  'EQUAL',
  'NOT_EQUAL',
  'IS_NULL',
  'IS_NOT_NULL',
] as const;

/** strata.yaml `alerts.<key>`: a SQL alert with the fields of a bundle's resources.alerts.<key>. */
export const alertSchema = z
  .strictObject({
    display_name: z.string().min(1).describe('The name the notifications give.'),
    query_text: z.string().min(1).describe('The query (Databricks SQL) whose result is checked.').optional(),
    file_path: z.string().min(1).describe('Or a .sql file of the project holding the query.').optional(),
    custom_summary: z.string().describe('The first line of the notification.').optional(),
    custom_description: z.string().describe('More text for the notification.').optional(),
    warehouse_id: z.string().describe("Databricks' SQL warehouse; Strata runs the query itself.").optional(),
    evaluation: z
      .strictObject({
        comparison_operator: z.enum(OPERATORS).describe('How the value is compared with the threshold.'),
        source: z
          .strictObject({
            name: z.string().min(1).describe('The column of the result.'),
            aggregation: z
              .enum(['SUM', 'COUNT', 'COUNT_DISTINCT', 'AVG', 'MEDIAN', 'MIN', 'MAX', 'STDDEV'])
              .describe('Over all rows; without it, the first row.')
              .optional(),
            display: z.string().describe('The name the notification gives the value.').optional(),
          })
          .describe('The value checked.'),
        threshold: z
          .strictObject({
            value: z
              .strictObject({
                double_value: z.number().describe('A number.').optional(),
                string_value: z.string().describe('A text.').optional(),
                bool_value: z.boolean().describe('A boolean.').optional(),
              })
              .describe('The value to compare with.'),
          })
          .describe('What the value is compared with (not for IS_NULL and IS_NOT_NULL).')
          .optional(),
        empty_result_state: z
          .enum(['UNKNOWN', 'OK', 'TRIGGERED'])
          .describe('The state when the query gives no row. Default: UNKNOWN.')
          .optional(),
        notification: z
          .strictObject({
            subscriptions: z
              .array(
                z.strictObject({
                  user_email: z.string().min(1).describe('An e-mail address.').optional(),
                  destination_id: z.string().min(1).describe('A notifications.webhooks id.').optional(),
                }),
              )
              .describe('Who is told when it triggers.')
              .optional(),
            notify_on_ok: z.boolean().describe('Also tell them when it is OK.').optional(),
          })
          .describe('Who is told.')
          .optional(),
      })
      .describe('The condition that triggers the alert.'),
  })
  .superRefine((a, ctx) => {
    if ((a.query_text === undefined) === (a.file_path === undefined))
      ctx.addIssue({ code: 'custom', message: 'an alert needs query_text or file_path (one of them)' });
    const op = a.evaluation.comparison_operator;
    if (op !== 'IS_NULL' && op !== 'IS_NOT_NULL' && a.evaluation.threshold === undefined)
      ctx.addIssue({ code: 'custom', path: ['evaluation'], message: `${op} needs a threshold` });
  })
  .describe("A SQL alert, run by a job's alert_task (Databricks SQL alerts; its own schedule is not supported).");

export type AlertSettings = z.output<typeof alertSchema>;
