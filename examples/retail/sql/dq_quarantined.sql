-- The data-quality figure the alert watches: of today's order lines (the rows the silver.orders
-- flows read today, from the event log), the share set aside in the quarantine, in percent.
SELECT
  coalesce(round(100.0 * sum(quarantined) / nullif(sum(read), 0), 2), 0) AS quarantined_pct,
  coalesce(sum(quarantined), 0) AS quarantined,
  coalesce(sum(read), 0) AS order_lines
FROM (
  SELECT
    CAST(get_json_object(details, '$.flow_progress.data_quality.quarantined_records') AS BIGINT) AS quarantined,
    CAST(get_json_object(details, '$.flow_progress.metrics.num_input_rows') AS BIGINT) AS read
  FROM system.event_log
  WHERE event_type = 'flow_progress'
    AND origin.dataset_name = 'silver.orders'
    AND get_json_object(details, '$.flow_progress.status') = 'COMPLETED'
    AND CAST(`timestamp` AS DATE) = current_date()
) AS today;
