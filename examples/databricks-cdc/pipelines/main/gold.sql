-- Gold: the customer dimension with its history (SCD type 2), the sales fact, a monthly view.

CREATE OR REFRESH STREAMING TABLE dim_customers
COMMENT 'customers, one row per version: a new version when the name or the city changes';

APPLY CHANGES INTO LIVE.dim_customers
FROM STREAM(LIVE.silver_customers_cdc)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = "DELETE"
SEQUENCE BY updated_at
COLUMNS * EXCEPT (operation)
STORED AS SCD TYPE 2
TRACK HISTORY ON * EXCEPT (email, updated_at);

CREATE OR REFRESH MATERIALIZED VIEW fact_sales
COMMENT 'order lines with the customer version valid on the order date'
AS SELECT o.order_id, o.order_date, o.customer_id, c.city, o.amount, o.status
FROM LIVE.silver_orders o
LEFT JOIN LIVE.dim_customers c
  ON o.customer_id = c.customer_id
 AND CAST(o.order_date AS TIMESTAMP) >= c.__START_AT
 AND (c.__END_AT IS NULL OR CAST(o.order_date AS TIMESTAMP) < c.__END_AT);

CREATE OR REFRESH MATERIALIZED VIEW sales_by_month_city
COMMENT 'revenue, orders and customers per month and city'
AS SELECT
  date_format(order_date, 'yyyy-MM') AS month,
  coalesce(city, 'Unknown') AS city,
  round(sum(amount), 2) AS revenue,
  count(*) AS orders,
  count(DISTINCT customer_id) AS customers
FROM LIVE.fact_sales
GROUP BY 1, 2;
