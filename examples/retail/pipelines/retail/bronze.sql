-- Bronze: every landing file loaded once, as written (every column a string: read_files would
-- infer types, and a value that does not fit them would leave its column for _rescued_data), with
-- the name of the file it came from (from the hidden _metadata column). The two companies stay apart.

CREATE OR REFRESH STREAMING TABLE bronze.parent_customers
COMMENT 'parent ERP: customer master'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/parent/customers/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.parent_products
COMMENT 'parent ERP: product master'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/parent/products/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.parent_gross_prices
COMMENT 'parent ERP: gross price of each product per fiscal year'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/parent/gross_prices/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.parent_orders
COMMENT 'parent ERP: one order-line file per day'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/parent/orders/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.startup_customers
COMMENT 'startup: customer export (names, cities and duplicates as typed by hand)'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/startup/customers/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.startup_products
COMMENT 'startup: product list, then price updates'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/startup/products/*.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.startup_orders
COMMENT 'startup: one order-line file per day, dates in several notations'
AS SELECT *, _metadata.file_name AS source_file FROM STREAM read_files('landing/startup/orders/*.csv', format => 'csv', inferColumnTypes => false);
