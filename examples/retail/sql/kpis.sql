-- The day's headline figures (the dashboard's tiles), as the job's task values:
-- {{tasks.kpis.values.total_revenue}}, ...
SELECT total_revenue, total_quantity, unique_customers, average_selling_price, order_lines
FROM gold.kpi_overview;
