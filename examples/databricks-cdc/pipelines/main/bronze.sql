-- Bronze: the landing files as they are, loaded once each.

CREATE OR REFRESH STREAMING TABLE bronze_customers
COMMENT 'customer change feed (APPEND / UPDATE / DELETE rows) from the CRM'
AS SELECT * FROM STREAM read_files('landing/customers/*.csv', format => 'csv', header => true);

CREATE OR REFRESH STREAMING TABLE bronze_orders
COMMENT 'order exports, dates written dd/MM/yyyy'
AS SELECT * FROM STREAM read_files('landing/orders/*.csv', format => 'csv', header => true);
