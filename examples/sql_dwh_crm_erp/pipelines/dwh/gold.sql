-- Gold: the star schema the course's gold layer defines — dim_customers, dim_products
-- (current versions, with the history kept in silver.product_history), fact_sales — and the
-- figures its dashboard shows.

-- Product history, SCD type 2: one version per start date of each product number. A version
-- ends where the next one starts (__END_AT, exclusive); the source's own end dates are
-- ignored because they are wrong.
CREATE OR REFRESH STREAMING TABLE silver.product_history
COMMENT 'CRM product versions as SCD type 2, keyed by product number';

CREATE FLOW product_versions AS AUTO CDC INTO silver.product_history
FROM STREAM(silver.crm_product_versions)
KEYS (prd_key)
SEQUENCE BY prd_start_dt
COLUMNS * EXCEPT (raw_cost, raw_end_dt)
STORED AS SCD TYPE 2;

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_customers
COMMENT 'one row per customer: CRM identity, ERP birth date, gender and country'
AS SELECT
  row_number() OVER (ORDER BY ci.cst_id) AS customer_key,
  ci.cst_id AS customer_id,
  ci.cst_key AS customer_number,
  ci.cst_firstname AS first_name,
  ci.cst_lastname AS last_name,
  coalesce(la.cntry, 'n/a') AS country,
  ci.cst_marital_status AS marital_status,
  CASE WHEN ci.cst_gndr <> 'n/a' THEN ci.cst_gndr ELSE coalesce(ca.gen, 'n/a') END AS gender,
  ca.bdate AS birthdate,
  ci.cst_create_date AS create_date
FROM silver.crm_customers ci
LEFT JOIN silver.erp_customers ca ON ci.cst_key = ca.cid
LEFT JOIN silver.erp_locations la ON ci.cst_key = la.cid;

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_products
COMMENT 'current product versions with their category'
AS SELECT
  row_number() OVER (ORDER BY pn.prd_start_dt, pn.prd_key) AS product_key,
  pn.prd_id AS product_id,
  pn.prd_key AS product_number,
  pn.prd_nm AS product_name,
  pn.cat_id AS category_id,
  pc.cat AS category,
  pc.subcat AS subcategory,
  pc.maintenance,
  pn.prd_cost AS cost,
  pn.prd_line AS product_line,
  pn.prd_start_dt AS start_date
FROM silver.product_history pn
LEFT JOIN silver.erp_categories pc ON pn.cat_id = pc.id
WHERE pn.__END_AT IS NULL;

CREATE OR REFRESH MATERIALIZED VIEW gold.fact_sales
COMMENT 'sales order lines with the product and customer surrogate keys'
AS SELECT
  sd.sls_ord_num AS order_number,
  pr.product_key,
  cu.customer_key,
  sd.sls_order_dt AS order_date,
  sd.sls_ship_dt AS shipping_date,
  sd.sls_due_dt AS due_date,
  sd.sls_sales AS sales_amount,
  sd.sls_quantity AS quantity,
  sd.sls_price AS price
FROM silver.crm_sales sd
LEFT JOIN gold.dim_products pr ON sd.sls_prd_key = pr.product_number
LEFT JOIN gold.dim_customers cu ON sd.sls_cust_id = cu.customer_id;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_overview
COMMENT 'the headline figures: total sales, units, orders, customers, current products'
AS SELECT
  (SELECT sum(sales_amount) FROM gold.fact_sales) AS total_sales,
  (SELECT sum(quantity) FROM gold.fact_sales) AS total_quantity,
  (SELECT count(DISTINCT order_number) FROM gold.fact_sales) AS total_orders,
  (SELECT count(*) FROM gold.dim_customers) AS total_customers,
  (SELECT count(*) FROM gold.dim_products) AS total_products;

CREATE OR REFRESH MATERIALIZED VIEW gold.customers_by_country
COMMENT 'customers per country'
AS SELECT country, count(*) AS customers
FROM gold.dim_customers
GROUP BY country;

CREATE OR REFRESH MATERIALIZED VIEW gold.sales_by_category
COMMENT 'sales, cost and profit per product category'
AS SELECT
  p.category,
  sum(f.sales_amount) AS sales,
  sum(f.quantity * p.cost) AS cost,
  sum(f.sales_amount) - sum(f.quantity * p.cost) AS profit
FROM gold.fact_sales f
LEFT JOIN gold.dim_products p ON f.product_key = p.product_key
GROUP BY p.category;
