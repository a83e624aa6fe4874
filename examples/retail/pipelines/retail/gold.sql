-- Gold: the star schema (customers SCD1, products SCD2, dates, order lines), the monthly
-- aggregate upserted as new days arrive, and the KPI views the dashboard reads.

CREATE OR REFRESH STREAMING TABLE gold.dim_customer
COMMENT 'one row per customer, latest values (SCD type 1)';

CREATE FLOW dim_customer_changes AS AUTO CDC INTO gold.dim_customer
FROM STREAM(silver.customers)
KEYS (customer_id)
SEQUENCE BY updated_at
COLUMNS customer_id, customer_name, city, channel, company
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE gold.dim_product
COMMENT 'one row per product version: a new one when the price or the category changes (SCD type 2)';

CREATE FLOW dim_product_changes AS AUTO CDC INTO gold.dim_product
FROM STREAM(silver.products)
KEYS (product_id)
SEQUENCE BY effective_date
COLUMNS product_id, product_name, variant, category, list_price, company
STORED AS SCD TYPE 2
TRACK HISTORY ON (list_price, category);

-- Each line priced with the product version valid on its order date; one row per order line
-- (AUTO CDC keeps one of a line sent twice, whenever the copy arrives).
CREATE TEMPORARY VIEW order_lines_priced AS
SELECT
  o.order_id,
  o.order_date,
  o.customer_id,
  o.product_id,
  o.channel,
  o.company,
  o.quantity,
  p.list_price AS unit_price,
  o.quantity * p.list_price AS revenue
FROM STREAM(silver.orders) AS o
LEFT JOIN gold.dim_product AS p
  ON p.product_id = o.product_id
 AND o.order_date >= p.__START_AT
 AND (p.__END_AT IS NULL OR o.order_date < p.__END_AT);

CREATE OR REFRESH STREAMING TABLE gold.fact_sales (
  CONSTRAINT product_priced EXPECT (unit_price IS NOT NULL) ON VIOLATION QUARANTINE
)
COMMENT 'order lines, one row each: quantity, unit price of the day, revenue';

CREATE FLOW fact_sales_lines AS AUTO CDC INTO gold.fact_sales
FROM STREAM(order_lines_priced)
KEYS (order_id, product_id)
SEQUENCE BY order_date
STORED AS SCD TYPE 1;

-- Refreshed by merging the new days' sums into the old ones (no recomputation).
CREATE OR REFRESH MATERIALIZED VIEW gold.agg_monthly_sales
COMMENT 'revenue, quantity and order lines per month, product, customer and channel'
AS SELECT
  trunc(order_date, 'MM') AS month,
  product_id,
  customer_id,
  channel,
  sum(revenue) AS revenue,
  sum(quantity) AS quantity,
  count(*) AS order_lines
FROM gold.fact_sales
GROUP BY trunc(order_date, 'MM'), product_id, customer_id, channel;

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_date
COMMENT 'every day of the months with sales'
AS SELECT
  CAST(d AS DATE) AS date,
  year(d) AS year,
  quarter(d) AS quarter,
  month(d) AS month,
  date_format(d, 'MMMM') AS month_name,
  dayofmonth(d) AS day_of_month,
  date_format(d, 'EEEE') AS day_name,
  weekofyear(d) AS week_of_year,
  dayofweek(d) IN (1, 7) AS is_weekend
FROM (
  SELECT explode(sequence(min(month), last_day(max(month)), INTERVAL 1 DAY)) AS d
  FROM gold.agg_monthly_sales
) AS days;

-- Data quality: a month in which a company sent no order line is a gap to chase.
CREATE OR REFRESH MATERIALIZED VIEW gold.dq_monthly_coverage (
  CONSTRAINT company_reported EXPECT (order_lines > 0)
)
COMMENT 'order lines per month and company (0: the company sent nothing that month)'
AS SELECT m.month, c.company, coalesce(sum(a.order_lines), 0) AS order_lines
FROM (SELECT DISTINCT trunc(date, 'MM') AS month FROM gold.dim_date) AS m
CROSS JOIN (SELECT DISTINCT company FROM gold.dim_customer) AS c
LEFT JOIN (
  SELECT s.month, d.company, s.order_lines
  FROM gold.agg_monthly_sales AS s JOIN gold.dim_customer AS d ON d.customer_id = s.customer_id
) AS a ON a.month = m.month AND a.company = c.company
GROUP BY m.month, c.company;

-- KPIs ------------------------------------------------------------------------------------

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_overview
COMMENT 'total revenue, quantity, unique customers, average selling price, order lines'
AS SELECT
  sum(revenue) AS total_revenue,
  sum(quantity) AS total_quantity,
  count(DISTINCT customer_id) AS unique_customers,
  round(sum(revenue) / sum(quantity), 2) AS average_selling_price,
  sum(order_lines) AS order_lines
FROM gold.agg_monthly_sales;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_monthly_revenue
COMMENT 'revenue per month, and its change from the month before'
AS SELECT
  month,
  sum(revenue) AS revenue,
  sum(quantity) AS quantity,
  sum(order_lines) AS order_lines,
  round(100 * (sum(revenue) / lag(sum(revenue)) OVER (ORDER BY month) - 1), 1) AS change_pct
FROM gold.agg_monthly_sales
GROUP BY month;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_channel_share
COMMENT 'revenue per channel, and its share of the total'
AS SELECT
  channel,
  sum(revenue) AS revenue,
  round(100 * sum(revenue) / sum(sum(revenue)) OVER (), 1) AS share_pct
FROM gold.agg_monthly_sales
GROUP BY channel;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_top_products
COMMENT 'the ten products with the most revenue'
AS SELECT
  s.product_id,
  p.product_name,
  p.variant,
  p.category,
  sum(s.revenue) AS revenue,
  sum(s.quantity) AS quantity,
  rank() OVER (ORDER BY sum(s.revenue) DESC) AS rank
FROM gold.agg_monthly_sales AS s
JOIN gold.dim_product AS p ON p.product_id = s.product_id AND p.__END_AT IS NULL
GROUP BY s.product_id, p.product_name, p.variant, p.category
QUALIFY rank <= 10;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_top_customers
COMMENT 'the ten customers with the most revenue'
AS SELECT
  s.customer_id,
  c.customer_name,
  c.city,
  c.company,
  sum(s.revenue) AS revenue,
  rank() OVER (ORDER BY sum(s.revenue) DESC) AS rank
FROM gold.agg_monthly_sales AS s
JOIN gold.dim_customer AS c ON c.customer_id = s.customer_id
GROUP BY s.customer_id, c.customer_name, c.city, c.company
QUALIFY rank <= 10;
