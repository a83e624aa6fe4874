-- Bronze: the six source extracts as delivered (CRLF CSV), every column kept as text, each
-- file loaded once with its source file and line.

CREATE OR REFRESH STREAMING TABLE bronze.crm_cust_info
COMMENT 'CRM: customer records (some duplicated, some without id)'
AS SELECT * FROM STREAM read_files('landing/source_crm/cust_info.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.crm_prd_info
COMMENT 'CRM: product versions (prd_end_dt in the source is wrong)'
AS SELECT * FROM STREAM read_files('landing/source_crm/prd_info.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.crm_sales_details
COMMENT 'CRM: sales order lines, dates as yyyyMMdd integers'
AS SELECT * FROM STREAM read_files('landing/source_crm/sales_details.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.erp_cust_az12
COMMENT 'ERP: birth date and gender per customer key'
AS SELECT * FROM STREAM read_files('landing/source_erp/CUST_AZ12.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.erp_loc_a101
COMMENT 'ERP: country per customer key'
AS SELECT * FROM STREAM read_files('landing/source_erp/LOC_A101.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.erp_px_cat_g1v2
COMMENT 'ERP: product categories'
AS SELECT * FROM STREAM read_files('landing/source_erp/PX_CAT_G1V2.csv', format => 'csv', inferColumnTypes => false);
