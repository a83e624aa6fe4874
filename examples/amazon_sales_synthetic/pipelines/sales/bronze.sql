-- Bronze: the order-line file as delivered, every column kept as text (read_files would infer types).
CREATE OR REFRESH STREAMING TABLE bronze.sales
COMMENT 'one row per order line of amazon_sales_dataset.csv'
AS SELECT * FROM STREAM read_files('landing/*.csv', format => 'csv', inferColumnTypes => false);
