-- Gold: customer and product dimensions keyed by their ids (the latest order's attributes —
-- the file's ids carry several names, so a SELECT DISTINCT dimension would have a row per
-- line), the fact table, seed 000's month × payment table, and the KPIs.

CREATE OR REFRESH STREAMING TABLE gold.dim_customer
COMMENT 'one row per customer_id: name and place of the latest order';

CREATE FLOW dim_customer_latest AS AUTO CDC INTO gold.dim_customer
FROM STREAM(silver.order_lines)
KEYS (customer_id)
SEQUENCE BY struct(order_date, order_id)
COLUMNS customer_id, customer_name, country, state, city
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE gold.dim_product
COMMENT 'one row per product_id: name, brand and category of the latest order';

CREATE FLOW dim_product_latest AS AUTO CDC INTO gold.dim_product
FROM STREAM(silver.order_lines)
KEYS (product_id)
SEQUENCE BY struct(order_date, order_id)
COLUMNS product_id, product_name, brand, category, sub_category
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE gold.fact_sales
COMMENT 'one row per order line: keys, dates and measures'
AS SELECT
  order_id, order_date, ship_date, delivery_date, customer_id, product_id, category, payment_method,
  quantity, unit_price, discount, shipping_cost, total_sales AS revenue,
  datediff(ship_date, order_date) AS ship_days,
  datediff(delivery_date, order_date) AS delivery_days
FROM STREAM(silver.order_lines);

-- Seed 000's gold table: revenue, orders and average order value per month and payment
-- method, each rounded to the cent as its dashboard shows them.
CREATE OR REFRESH MATERIALIZED VIEW gold.sales_by_month_payment
COMMENT 'revenue (rounded to the cent), orders and AOV per month and payment method'
AS SELECT
  date_format(order_date, 'yyyy-MM') AS year_month,
  payment_method,
  count(*) AS orders,
  round(sum(revenue), 2) AS revenue,
  CAST(round(sum(revenue) / count(*), 2) AS DECIMAL(18, 2)) AS avg_order_value
FROM gold.fact_sales
GROUP BY date_format(order_date, 'yyyy-MM'), payment_method;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_overview
COMMENT 'total revenue (the sum of the reported month × payment figures), orders, true AOV, customers'
AS SELECT
  (SELECT sum(revenue) FROM gold.sales_by_month_payment) AS total_revenue,
  (SELECT sum(revenue) FROM gold.fact_sales) AS revenue_exact,
  (SELECT count(DISTINCT order_id) FROM gold.fact_sales) AS total_orders,
  (SELECT CAST(round(sum(revenue) / count(DISTINCT order_id), 2) AS DECIMAL(18, 2)) FROM gold.fact_sales) AS avg_order_value,
  (SELECT count(DISTINCT customer_id) FROM gold.fact_sales) AS unique_customers,
  (SELECT sum(quantity) FROM gold.fact_sales) AS units;

CREATE OR REFRESH MATERIALIZED VIEW gold.revenue_by_category
COMMENT 'revenue per product category'
AS SELECT category, count(*) AS orders, round(sum(revenue), 2) AS revenue
FROM gold.fact_sales
GROUP BY category;

CREATE OR REFRESH MATERIALIZED VIEW gold.revenue_by_month
COMMENT 'revenue per month'
AS SELECT date_format(order_date, 'yyyy-MM') AS year_month, count(*) AS orders, round(sum(revenue), 2) AS revenue
FROM gold.fact_sales
GROUP BY date_format(order_date, 'yyyy-MM');

CREATE OR REFRESH MATERIALIZED VIEW gold.orders_by_payment_method
COMMENT 'orders and revenue per payment method'
AS SELECT payment_method, count(*) AS orders, round(sum(revenue), 2) AS revenue
FROM gold.fact_sales
GROUP BY payment_method;
