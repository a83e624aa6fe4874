-- Bronze: every landing file loaded once, as written (every column a string), with its
-- source file and line. The two companies stay apart.

CREATE OR REFRESH STREAMING TABLE bronze.parent_customers
COMMENT 'parent ERP: customer master'
AS SELECT * FROM STREAM read_files('landing/parent/customers/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.parent_products
COMMENT 'parent ERP: product master'
AS SELECT * FROM STREAM read_files('landing/parent/products/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.parent_gross_prices
COMMENT 'parent ERP: gross price of each product per fiscal year'
AS SELECT * FROM STREAM read_files('landing/parent/gross_prices/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.parent_orders
COMMENT 'parent ERP: one order-line file per day'
AS SELECT * FROM STREAM read_files('landing/parent/orders/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.startup_customers
COMMENT 'startup: customer export (names, cities and duplicates as typed by hand)'
AS SELECT * FROM STREAM read_files('landing/startup/customers/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.startup_products
COMMENT 'startup: product list, then price updates'
AS SELECT * FROM STREAM read_files('landing/startup/products/*.csv', format => 'csv');

CREATE OR REFRESH STREAMING TABLE bronze.startup_orders
COMMENT 'startup: one order-line file per day, dates in several notations'
AS SELECT * FROM STREAM read_files('landing/startup/orders/*.csv', format => 'csv');
