-- Silver: typed and cleaned, one table per entity. Every data-quality problem the sample is
-- known for is counted by an expectation, so the event log says how often it occurs.

CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT order_id_present EXPECT (order_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT purchase_time_valid EXPECT (order_purchase_timestamp IS NOT NULL) ON VIOLATION QUARANTINE,
  CONSTRAINT status_known EXPECT (order_status IN ('created', 'approved', 'invoiced', 'processing', 'shipped', 'delivered', 'canceled', 'unavailable')),
  CONSTRAINT approved_time_present EXPECT (order_approved_at IS NOT NULL),
  CONSTRAINT carrier_time_present EXPECT (order_delivered_carrier_date IS NOT NULL),
  CONSTRAINT delivery_time_present EXPECT (order_delivered_customer_date IS NOT NULL),
  CONSTRAINT delivered_order_has_delivery_time EXPECT (order_status <> 'delivered' OR order_delivered_customer_date IS NOT NULL)
)
COMMENT 'orders with typed timestamps'
AS SELECT
  order_id,
  customer_id,
  lower(trim(order_status)) AS order_status,
  to_timestamp(order_purchase_timestamp, 'yyyy-MM-dd HH:mm:ss') AS order_purchase_timestamp,
  to_timestamp(order_approved_at, 'yyyy-MM-dd HH:mm:ss') AS order_approved_at,
  to_timestamp(order_delivered_carrier_date, 'yyyy-MM-dd HH:mm:ss') AS order_delivered_carrier_date,
  to_timestamp(order_delivered_customer_date, 'yyyy-MM-dd HH:mm:ss') AS order_delivered_customer_date,
  to_timestamp(order_estimated_delivery_date, 'yyyy-MM-dd HH:mm:ss') AS order_estimated_delivery_date
FROM STREAM(bronze.orders);

CREATE OR REFRESH STREAMING TABLE silver.order_items (
  CONSTRAINT price_positive EXPECT (price > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT freight_not_negative EXPECT (freight_value >= 0) ON VIOLATION QUARANTINE,
  CONSTRAINT freight_charged EXPECT (freight_value > 0)
)
COMMENT 'order items with typed amounts'
AS SELECT
  order_id,
  CAST(order_item_id AS INT) AS order_item_id,
  product_id,
  seller_id,
  to_timestamp(shipping_limit_date, 'yyyy-MM-dd HH:mm:ss') AS shipping_limit_date,
  CAST(price AS DECIMAL(10, 2)) AS price,
  CAST(freight_value AS DECIMAL(10, 2)) AS freight_value
FROM STREAM(bronze.order_items);

-- 'boleto' (a bank slip paid in cash) is reported as 'cash', as seed 003's dashboard does.
CREATE OR REFRESH STREAMING TABLE silver.order_payments (
  CONSTRAINT payment_value_not_negative EXPECT (payment_value >= 0) ON VIOLATION QUARANTINE,
  CONSTRAINT payment_type_defined EXPECT (payment_type <> 'not_defined')
)
COMMENT 'payments with typed amounts; payment_method reports boleto as cash'
AS SELECT
  order_id,
  CAST(payment_sequential AS INT) AS payment_sequential,
  payment_type,
  CASE WHEN payment_type = 'boleto' THEN 'cash' ELSE payment_type END AS payment_method,
  CAST(payment_installments AS INT) AS payment_installments,
  CAST(payment_value AS DECIMAL(10, 2)) AS payment_value
FROM STREAM(bronze.order_payments);

CREATE OR REFRESH STREAMING TABLE silver.order_reviews (
  CONSTRAINT score_in_range EXPECT (review_score BETWEEN 1 AND 5) ON VIOLATION QUARANTINE
)
COMMENT 'reviews with typed score and times (comments may span lines)'
AS SELECT
  review_id,
  order_id,
  CAST(review_score AS INT) AS review_score,
  review_comment_title,
  review_comment_message,
  to_timestamp(review_creation_date, 'yyyy-MM-dd HH:mm:ss') AS review_creation_date,
  to_timestamp(review_answer_timestamp, 'yyyy-MM-dd HH:mm:ss') AS review_answer_timestamp
FROM STREAM(bronze.order_reviews);

CREATE OR REFRESH STREAMING TABLE silver.customers (
  CONSTRAINT customer_id_present EXPECT (customer_id IS NOT NULL) ON VIOLATION FAIL UPDATE
)
COMMENT 'customers: customer_id per order, customer_unique_id per person'
AS SELECT
  customer_id,
  customer_unique_id,
  customer_zip_code_prefix,
  lower(trim(customer_city)) AS customer_city,
  upper(trim(customer_state)) AS customer_state
FROM STREAM(bronze.customers);

-- The source's misspelt column names (…_lenght) are corrected here.
CREATE OR REFRESH STREAMING TABLE silver.products (
  CONSTRAINT category_present EXPECT (product_category_name IS NOT NULL)
)
COMMENT 'products with typed measures'
AS SELECT
  product_id,
  nullif(trim(product_category_name), '') AS product_category_name,
  CAST(product_name_lenght AS INT) AS product_name_length,
  CAST(product_description_lenght AS INT) AS product_description_length,
  CAST(product_photos_qty AS INT) AS product_photos_qty,
  CAST(product_weight_g AS INT) AS product_weight_g,
  CAST(product_length_cm AS INT) AS product_length_cm,
  CAST(product_height_cm AS INT) AS product_height_cm,
  CAST(product_width_cm AS INT) AS product_width_cm
FROM STREAM(bronze.products);

CREATE OR REFRESH STREAMING TABLE silver.sellers
COMMENT 'sellers'
AS SELECT seller_id, seller_zip_code_prefix, lower(trim(seller_city)) AS seller_city, upper(trim(seller_state)) AS seller_state
FROM STREAM(bronze.sellers);

CREATE OR REFRESH STREAMING TABLE silver.category_translation
COMMENT 'Portuguese to English category names'
AS SELECT product_category_name, product_category_name_english
FROM STREAM(bronze.category_translation);

-- Coordinates per zip prefix. City names lose their accents ('são paulo' = 'sao paulo');
-- points outside Brazil's bounding box are counted, and left out of the averages.
CREATE OR REFRESH STREAMING TABLE silver.geolocation_points (
  CONSTRAINT city_without_accents EXPECT (raw_city = geolocation_city),
  CONSTRAINT inside_brazil EXPECT (geolocation_lat BETWEEN -33.75 AND 5.27 AND geolocation_lng BETWEEN -73.99 AND -34.79)
)
COMMENT 'zip-prefix coordinates, typed; city names without accents'
AS SELECT
  geolocation_zip_code_prefix,
  CAST(geolocation_lat AS DOUBLE) AS geolocation_lat,
  CAST(geolocation_lng AS DOUBLE) AS geolocation_lng,
  translate(lower(trim(geolocation_city)), 'áàâãäéèêëíìîïóòôõöúùûüç', 'aaaaaeeeeiiiiooooouuuuc') AS geolocation_city,
  upper(trim(geolocation_state)) AS geolocation_state,
  lower(trim(geolocation_city)) AS raw_city
FROM STREAM(bronze.geolocation);

CREATE OR REFRESH MATERIALIZED VIEW silver.geolocation
COMMENT 'one row per zip prefix: mean coordinates of the points inside Brazil, most frequent city'
AS SELECT
  geolocation_zip_code_prefix,
  avg(geolocation_lat) FILTER (WHERE geolocation_lat BETWEEN -33.75 AND 5.27 AND geolocation_lng BETWEEN -73.99 AND -34.79) AS geolocation_lat,
  avg(geolocation_lng) FILTER (WHERE geolocation_lat BETWEEN -33.75 AND 5.27 AND geolocation_lng BETWEEN -73.99 AND -34.79) AS geolocation_lng,
  mode(geolocation_city) AS geolocation_city,
  mode(geolocation_state) AS geolocation_state,
  count(*) AS points
FROM silver.geolocation_points
GROUP BY geolocation_zip_code_prefix;
