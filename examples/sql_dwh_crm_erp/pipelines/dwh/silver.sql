-- Silver: typed, trimmed, decoded and de-duplicated — the course's cleaning rules, written as
-- Lakeflow SQL. Every data-quality problem the source is known for is counted by an
-- expectation (WARN unless the row cannot be used), so the event log shows how many rows
-- each rule fixed.

-- CRM customers: names trimmed, codes decoded. A record without id cannot be joined to
-- anything and is dropped.
CREATE OR REFRESH STREAMING TABLE silver.crm_customer_records (
  CONSTRAINT customer_id_present EXPECT (cst_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT first_name_trimmed EXPECT (raw_firstname IS NULL OR raw_firstname = cst_firstname),
  CONSTRAINT last_name_trimmed EXPECT (raw_lastname IS NULL OR raw_lastname = cst_lastname),
  CONSTRAINT marital_status_known EXPECT (cst_marital_status <> 'n/a'),
  CONSTRAINT gender_known EXPECT (cst_gndr <> 'n/a')
)
COMMENT 'CRM customer records, cleaned; duplicates still present'
AS SELECT
  try_cast(cst_id AS INT) AS cst_id,
  cst_key,
  trim(cst_firstname) AS cst_firstname,
  trim(cst_lastname) AS cst_lastname,
  CASE upper(trim(cst_marital_status)) WHEN 'S' THEN 'Single' WHEN 'M' THEN 'Married' ELSE 'n/a' END AS cst_marital_status,
  CASE upper(trim(cst_gndr)) WHEN 'F' THEN 'Female' WHEN 'M' THEN 'Male' ELSE 'n/a' END AS cst_gndr,
  to_date(cst_create_date, 'yyyy-MM-dd') AS cst_create_date,
  cst_firstname AS raw_firstname,
  cst_lastname AS raw_lastname
FROM STREAM(bronze.crm_cust_info);

-- One row per customer: the record with the latest create date (the complete one).
CREATE OR REFRESH STREAMING TABLE silver.crm_customers
COMMENT 'CRM customers, one row per cst_id (latest cst_create_date wins)';

CREATE FLOW crm_customers_latest AS AUTO CDC INTO silver.crm_customers
FROM STREAM(silver.crm_customer_records)
KEYS (cst_id)
SEQUENCE BY cst_create_date
COLUMNS * EXCEPT (raw_firstname, raw_lastname)
STORED AS SCD TYPE 1;

-- CRM product versions: the category id and the product number split out of prd_key, the
-- line decoded. The source's prd_end_dt is wrong (earlier than the start on 200 rows) and is
-- not used: the history is rebuilt from the start dates in gold.
CREATE OR REFRESH STREAMING TABLE silver.crm_product_versions (
  CONSTRAINT cost_present EXPECT (raw_cost IS NOT NULL),
  CONSTRAINT line_known EXPECT (prd_line <> 'n/a'),
  CONSTRAINT source_end_after_start EXPECT (raw_end_dt IS NULL OR raw_end_dt >= prd_start_dt)
)
COMMENT 'CRM product versions, cleaned'
AS SELECT
  CAST(prd_id AS INT) AS prd_id,
  replace(substring(prd_key, 1, 5), '-', '_') AS cat_id,
  substring(prd_key, 7) AS prd_key,
  prd_nm,
  coalesce(try_cast(prd_cost AS INT), 0) AS prd_cost,
  CASE upper(trim(prd_line)) WHEN 'M' THEN 'Mountain' WHEN 'R' THEN 'Road' WHEN 'S' THEN 'Other Sales' WHEN 'T' THEN 'Touring' ELSE 'n/a' END AS prd_line,
  to_date(prd_start_dt, 'yyyy-MM-dd') AS prd_start_dt,
  prd_cost AS raw_cost,
  to_date(prd_end_dt, 'yyyy-MM-dd') AS raw_end_dt
FROM STREAM(bronze.crm_prd_info);

-- CRM sales lines. Dates: yyyyMMdd integers, 0 or not 8 digits → NULL. Amounts: the price
-- is sales / quantity where it is missing or not positive; the sales amount is
-- quantity × |price| where it is missing, not positive or inconsistent.
CREATE OR REFRESH STREAMING TABLE silver.crm_sales (
  CONSTRAINT order_number_present EXPECT (sls_ord_num IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT order_date_valid EXPECT (sls_order_dt IS NOT NULL),
  CONSTRAINT sales_present EXPECT (raw_sales IS NOT NULL),
  CONSTRAINT sales_positive EXPECT (raw_sales IS NULL OR raw_sales > 0),
  CONSTRAINT price_present EXPECT (raw_price IS NOT NULL),
  CONSTRAINT price_not_negative EXPECT (raw_price IS NULL OR raw_price >= 0),
  CONSTRAINT sales_is_quantity_times_price EXPECT (raw_sales IS NULL OR raw_price IS NULL OR raw_sales = sls_quantity * abs(raw_price)),
  CONSTRAINT sales_amount_known EXPECT (sls_sales IS NOT NULL) ON VIOLATION QUARANTINE
)
COMMENT 'CRM sales order lines, typed and with consistent amounts'
AS SELECT
  sls_ord_num,
  sls_prd_key,
  sls_cust_id,
  sls_order_dt,
  sls_ship_dt,
  sls_due_dt,
  CASE WHEN raw_sales IS NULL OR raw_sales <= 0 OR raw_sales <> sls_quantity * abs(raw_price)
       THEN sls_quantity * abs(raw_price) ELSE raw_sales END AS sls_sales,
  sls_quantity,
  CASE WHEN raw_price IS NULL OR raw_price <= 0 THEN raw_sales / nullif(sls_quantity, 0) ELSE raw_price END AS sls_price,
  raw_sales,
  raw_price
FROM (
  SELECT
    sls_ord_num,
    sls_prd_key,
    CAST(sls_cust_id AS INT) AS sls_cust_id,
    CASE WHEN sls_order_dt = '0' OR length(sls_order_dt) <> 8 THEN NULL ELSE to_date(sls_order_dt, 'yyyyMMdd') END AS sls_order_dt,
    CASE WHEN sls_ship_dt = '0' OR length(sls_ship_dt) <> 8 THEN NULL ELSE to_date(sls_ship_dt, 'yyyyMMdd') END AS sls_ship_dt,
    CASE WHEN sls_due_dt = '0' OR length(sls_due_dt) <> 8 THEN NULL ELSE to_date(sls_due_dt, 'yyyyMMdd') END AS sls_due_dt,
    try_cast(sls_sales AS INT) AS raw_sales,
    CAST(sls_quantity AS INT) AS sls_quantity,
    try_cast(sls_price AS INT) AS raw_price
  FROM STREAM(bronze.crm_sales_details)
);

-- ERP customers: the 'NAS' prefix removed from the id, birth dates in the future cleared,
-- gender spelt out.
CREATE OR REFRESH STREAMING TABLE silver.erp_customers (
  CONSTRAINT id_without_prefix EXPECT (raw_cid = cid),
  CONSTRAINT birth_date_not_future EXPECT (raw_bdate IS NULL OR raw_bdate <= DATE '2025-12-31'),
  CONSTRAINT birth_date_after_1924 EXPECT (raw_bdate IS NULL OR raw_bdate >= DATE '1924-01-01'),
  CONSTRAINT gender_present EXPECT (gen <> 'n/a')
)
COMMENT 'ERP customer attributes, keyed like the CRM cst_key'
AS SELECT
  CASE WHEN CID LIKE 'NAS%' THEN substring(CID, 4) ELSE CID END AS cid,
  CASE WHEN to_date(BDATE, 'yyyy-MM-dd') > DATE '2025-12-31' THEN NULL ELSE to_date(BDATE, 'yyyy-MM-dd') END AS bdate,
  CASE WHEN upper(trim(GEN)) IN ('F', 'FEMALE') THEN 'Female' WHEN upper(trim(GEN)) IN ('M', 'MALE') THEN 'Male' ELSE 'n/a' END AS gen,
  CID AS raw_cid,
  to_date(BDATE, 'yyyy-MM-dd') AS raw_bdate,
  GEN AS raw_gen
FROM STREAM(bronze.erp_cust_az12);

-- ERP locations: the dash removed from the id, country codes and blanks normalized.
CREATE OR REFRESH STREAMING TABLE silver.erp_locations (
  CONSTRAINT country_present EXPECT (cntry <> 'n/a'),
  CONSTRAINT country_spelt_out EXPECT (cntry = 'n/a' OR raw_cntry = cntry)
)
COMMENT 'ERP customer country, keyed like the CRM cst_key'
AS SELECT
  replace(CID, '-', '') AS cid,
  CASE WHEN trim(CNTRY) = 'DE' THEN 'Germany'
       WHEN trim(CNTRY) IN ('US', 'USA') THEN 'United States'
       WHEN CNTRY IS NULL OR trim(CNTRY) = '' THEN 'n/a'
       ELSE trim(CNTRY) END AS cntry,
  coalesce(CNTRY, '') AS raw_cntry
FROM STREAM(bronze.erp_loc_a101);

CREATE OR REFRESH STREAMING TABLE silver.erp_categories
COMMENT 'ERP product categories'
AS SELECT ID AS id, CAT AS cat, SUBCAT AS subcat, MAINTENANCE AS maintenance
FROM STREAM(bronze.erp_px_cat_g1v2);
