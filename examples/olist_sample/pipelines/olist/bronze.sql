-- Bronze: the nine Olist files as delivered, every column kept as text (zip prefixes keep
-- their leading zeros), each file loaded once with its source file and line.

CREATE OR REFRESH STREAMING TABLE bronze.orders
COMMENT 'orders: status and timestamps of each order'
AS SELECT * FROM STREAM read_files('landing/olist_orders_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.order_items
COMMENT 'order items: product, seller, price and freight'
AS SELECT * FROM STREAM read_files('landing/olist_order_items_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.order_payments
COMMENT 'payments: one row per payment of an order'
AS SELECT * FROM STREAM read_files('landing/olist_order_payments_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.order_reviews
COMMENT 'reviews (quoted multi-line comments)'
AS SELECT * FROM STREAM read_files('landing/olist_order_reviews_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.customers
COMMENT 'customers: one customer_id per order, customer_unique_id per person'
AS SELECT * FROM STREAM read_files('landing/olist_customers_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.products
COMMENT 'products (Portuguese category names)'
AS SELECT * FROM STREAM read_files('landing/olist_products_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.sellers
COMMENT 'sellers'
AS SELECT * FROM STREAM read_files('landing/olist_sellers_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.geolocation
COMMENT 'zip-prefix coordinates (many rows per prefix)'
AS SELECT * FROM STREAM read_files('landing/olist_geolocation_dataset.csv', format => 'csv', inferColumnTypes => false);

CREATE OR REFRESH STREAMING TABLE bronze.category_translation
COMMENT 'Portuguese to English category names'
AS SELECT * FROM STREAM read_files('landing/product_category_name_translation.csv', format => 'csv', inferColumnTypes => false);
