-- Silver: both companies cleaned, typed and validated into one schema per entity. Each
-- table is fed by two flows, one per company. The expectations count every defect in the
-- event log: WARN (the row is kept, cleaned; duplicates, which gold keeps once), QUARANTINE
-- (bad prices and dates, to fix and replay), FAIL UPDATE (what must never happen).

-- Reference data kept with the project.
CREATE OR REFRESH MATERIALIZED VIEW silver.ref_cities
COMMENT 'the cities we sell in'
AS SELECT city, state FROM read_files('reference/cities.csv', format => 'csv');

CREATE OR REFRESH MATERIALIZED VIEW silver.ref_city_aliases
COMMENT 'old or alternative city names, and the city they mean'
AS SELECT alias, city FROM read_files('reference/city_aliases.csv', format => 'csv');

CREATE OR REFRESH MATERIALIZED VIEW silver.ref_categories
COMMENT 'the product categories'
AS SELECT category FROM read_files('reference/categories.csv', format => 'csv');

-- Customers -----------------------------------------------------------------------------

CREATE OR REFRESH STREAMING TABLE silver.customers (
  CONSTRAINT customer_id_present EXPECT (customer_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT name_well_formed EXPECT (name_as_written = customer_name),
  CONSTRAINT city_present EXPECT (city_as_written IS NOT NULL),
  CONSTRAINT city_spelled_right EXPECT (city_as_written IS NULL OR city_as_written = city)
)
COMMENT 'customers of both companies: names tidied, cities mapped to the reference list';

CREATE FLOW customers_parent AS INSERT INTO silver.customers BY NAME
SELECT
  customer_id,
  customer_name,
  customer_name AS name_as_written,
  city,
  city AS city_as_written,
  channel,
  'parent' AS company,
  try_to_date(last_modified, 'yyyy-MM-dd') AS updated_at
FROM STREAM(bronze.parent_customers);

-- A city is the reference city it names, or the one an alias means, or the closest
-- reference city within two typing mistakes; else 'Unknown'.
CREATE FLOW customers_startup AS INSERT INTO silver.customers BY NAME
SELECT
  'S-' || lpad(trim(c.cust_id), 4, '0') AS customer_id,
  initcap(regexp_replace(trim(c.full_name), ' +', ' ')) AS customer_name,
  c.full_name AS name_as_written,
  coalesce(
    (SELECT max(r.city) FROM silver.ref_cities r WHERE lower(r.city) = lower(c.written)),
    (SELECT max(a.city) FROM silver.ref_city_aliases a WHERE lower(a.alias) = lower(c.written)),
    (SELECT min_by(r.city, levenshtein(lower(r.city), lower(c.written))) FROM silver.ref_cities r
      WHERE levenshtein(lower(r.city), lower(c.written)) <= 2),
    'Unknown') AS city,
  c.written AS city_as_written,
  'online' AS channel,
  'startup' AS company,
  try_to_date(c.created, 'yyyy-MM-dd') AS updated_at
FROM (SELECT *, nullif(trim(city), '') AS written FROM STREAM(bronze.startup_customers)) AS c;

-- Products: one row per price (or category) version ---------------------------------------

CREATE OR REFRESH STREAMING TABLE silver.products (
  CONSTRAINT product_id_present EXPECT (product_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT price_is_number EXPECT (list_price IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT price_positive EXPECT (list_price IS NULL OR list_price > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT category_spelled_right EXPECT (category_as_written = category),
  CONSTRAINT category_known EXPECT (category IS NOT NULL) ON VIOLATION QUARANTINE
)
COMMENT 'product prices and categories of both companies, each with the day it takes effect';

-- The parent's gross price of a fiscal year takes effect on its first day.
CREATE FLOW products_parent AS INSERT INTO silver.products BY NAME
SELECT
  g.product_code AS product_id,
  p.product_name,
  p.variant,
  p.category,
  p.category AS category_as_written,
  CAST(g.gross_price AS DECIMAL(12, 2)) AS list_price,
  g.gross_price AS price_as_written,
  make_date(CAST(g.fiscal_year AS INT), 1, 1) AS effective_date,
  'parent' AS company
FROM STREAM(bronze.parent_gross_prices) AS g
JOIN bronze.parent_products AS p ON p.product_code = g.product_code;

CREATE FLOW products_startup AS INSERT INTO silver.products BY NAME
SELECT
  s.sku AS product_id,
  trim(s.title) AS product_name,
  'Standard' AS variant, -- the startup sells one version of each product
  coalesce(
    (SELECT max(r.category) FROM silver.ref_categories r WHERE lower(r.category) = lower(trim(s.category))),
    (SELECT min_by(r.category, levenshtein(lower(r.category), lower(trim(s.category)))) FROM silver.ref_categories r
      WHERE levenshtein(lower(r.category), lower(trim(s.category))) <= 2)) AS category,
  s.category AS category_as_written,
  try_cast(s.price AS DECIMAL(12, 2)) AS list_price,
  s.price AS price_as_written,
  try_to_date(s.updated, 'yyyy-MM-dd') AS effective_date,
  'startup' AS company
FROM STREAM(bronze.startup_products) AS s;

-- Order lines -----------------------------------------------------------------------------

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT customer_present EXPECT (customer_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT order_date_parsed EXPECT (order_date IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT quantity_positive EXPECT (quantity > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT order_date_iso EXPECT (order_date_as_written = CAST(order_date AS STRING))
)
COMMENT 'order lines of both companies in one schema, as sent (a line sent twice is here twice)';

CREATE FLOW orders_parent AS INSERT INTO silver.orders BY NAME
SELECT
  order_id,
  try_to_date(order_date, 'yyyy-MM-dd') AS order_date,
  CAST(order_date AS STRING) AS order_date_as_written,
  customer_id,
  product_code AS product_id,
  CAST(quantity AS INT) AS quantity,
  channel,
  'parent' AS company
FROM STREAM(bronze.parent_orders);

-- The startup writes dates as 2024-11-05, 05/11/2024, Nov 5, 2024, Tuesday, 05/11/2024 or
-- Tue 2024-11-05: the weekday goes, then the first notation that reads is taken.
CREATE FLOW orders_startup AS INSERT INTO silver.orders BY NAME
SELECT
  'SO-' || o.OrderID AS order_id,
  coalesce(try_to_date(o.d, 'yyyy-MM-dd'), try_to_date(o.d, 'dd/MM/yyyy'), try_to_date(o.d, 'MMM d, yyyy')) AS order_date,
  o.Date AS order_date_as_written,
  'S-' || lpad(trim(o.CustomerID), 4, '0') AS customer_id,
  o.SKU AS product_id,
  CAST(o.Qty AS INT) AS quantity,
  'online' AS channel,
  'startup' AS company
FROM (
  SELECT *, regexp_replace(trim(Date), '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? ', '') AS d
  FROM STREAM(bronze.startup_orders)
) AS o;

-- Duplicates --------------------------------------------------------------------------------

-- A streaming table cannot number rows (a window over a stream is refused by Spark): the
-- duplicates are kept out by AUTO CDC in gold, which holds one row per key, and counted here.
CREATE OR REFRESH MATERIALIZED VIEW silver.customer_duplicates (
  CONSTRAINT one_row_per_customer EXPECT (copies = 1)
)
COMMENT 'customers sent more than once for the same day (gold.dim_customer keeps one)'
AS SELECT customer_id, updated_at, count(*) AS copies
FROM silver.customers
GROUP BY customer_id, updated_at
HAVING count(*) > 1;

-- The copies of each order line: an aggregate that a new day updates incrementally (the day's
-- counts merged in), where a HAVING would make every update count all order lines again.
CREATE OR REFRESH MATERIALIZED VIEW silver.order_line_copies
COMMENT 'how many times each order line was sent'
AS SELECT order_id, product_id, count(*) AS copies
FROM silver.orders
GROUP BY order_id, product_id;

CREATE OR REFRESH MATERIALIZED VIEW silver.order_line_duplicates (
  CONSTRAINT one_row_per_order_line EXPECT (copies = 1)
)
COMMENT 'order lines sent more than once (gold.fact_sales keeps one)'
AS SELECT order_id, product_id, copies
FROM silver.order_line_copies
WHERE copies > 1;
