-- Gold: a star around order items (seed 003's grain: revenue = price + freight per item),
-- an order-level fact that joins items, payments and reviews, and the dashboard's figures.

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_customers (
  CONSTRAINT customer_located EXPECT (customer_lat IS NOT NULL)
)
COMMENT 'one row per customer_id (per order), with the person (customer_unique_id) and place'
AS SELECT
  c.customer_id,
  c.customer_unique_id,
  c.customer_zip_code_prefix,
  c.customer_city,
  c.customer_state,
  g.geolocation_lat AS customer_lat,
  g.geolocation_lng AS customer_lng
FROM silver.customers c
LEFT JOIN silver.geolocation g ON c.customer_zip_code_prefix = g.geolocation_zip_code_prefix;

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_products (
  CONSTRAINT category_translated EXPECT (product_category_name IS NULL OR t_english IS NOT NULL)
)
COMMENT 'products with the English category name (Portuguese where no translation exists, unknown where empty)'
AS SELECT
  p.product_id,
  coalesce(t.product_category_name_english, p.product_category_name, 'unknown') AS product_category,
  p.product_category_name,
  p.product_name_length,
  p.product_description_length,
  p.product_photos_qty,
  p.product_weight_g,
  p.product_length_cm,
  p.product_height_cm,
  p.product_width_cm,
  t.product_category_name_english AS t_english
FROM silver.products p
LEFT JOIN silver.category_translation t ON p.product_category_name = t.product_category_name;

CREATE OR REFRESH MATERIALIZED VIEW gold.dim_sellers
COMMENT 'sellers'
AS SELECT seller_id, seller_zip_code_prefix, seller_city, seller_state FROM silver.sellers;

CREATE OR REFRESH MATERIALIZED VIEW gold.fact_order_items
COMMENT 'one row per order item, with its order and customer; revenue = price + freight'
AS SELECT
  i.order_id,
  i.order_item_id,
  i.product_id,
  i.seller_id,
  o.customer_id,
  c.customer_unique_id,
  c.customer_state,
  o.order_status,
  o.order_purchase_timestamp,
  CAST(o.order_purchase_timestamp AS DATE) AS order_date,
  i.price,
  i.freight_value,
  i.price + i.freight_value AS revenue
FROM silver.order_items i
JOIN silver.orders o ON i.order_id = o.order_id
LEFT JOIN silver.customers c ON o.customer_id = c.customer_id;

CREATE OR REFRESH MATERIALIZED VIEW gold.fact_orders
COMMENT 'one row per order: status, customer, item total, payment total and review score'
AS SELECT
  o.order_id,
  o.customer_id,
  c.customer_unique_id,
  c.customer_state,
  o.order_status,
  o.order_purchase_timestamp,
  o.order_delivered_customer_date,
  o.order_estimated_delivery_date,
  coalesce(i.items, 0) AS items,
  i.price_total,
  i.freight_total,
  i.order_total,
  p.payments,
  p.payment_total,
  p.max_installments,
  r.review_score
FROM silver.orders o
LEFT JOIN silver.customers c ON o.customer_id = c.customer_id
LEFT JOIN (
  SELECT order_id, count(*) AS items, sum(price) AS price_total, sum(freight_value) AS freight_total,
         sum(price + freight_value) AS order_total
  FROM silver.order_items GROUP BY order_id
) i ON o.order_id = i.order_id
LEFT JOIN (
  SELECT order_id, count(*) AS payments, sum(payment_value) AS payment_total, max(payment_installments) AS max_installments
  FROM silver.order_payments GROUP BY order_id
) p ON o.order_id = p.order_id
LEFT JOIN (
  SELECT order_id, avg(review_score) AS review_score FROM silver.order_reviews GROUP BY order_id
) r ON o.order_id = r.order_id;

CREATE OR REFRESH MATERIALIZED VIEW gold.kpi_overview
COMMENT 'revenue (price + freight), orders with items, average order value, payments, cancellations'
AS SELECT
  (SELECT sum(revenue) FROM gold.fact_order_items) AS revenue,
  (SELECT sum(price) FROM gold.fact_order_items) AS price_total,
  (SELECT sum(freight_value) FROM gold.fact_order_items) AS freight_total,
  (SELECT count(DISTINCT order_id) FROM gold.fact_order_items) AS orders_with_items,
  (SELECT CAST(round(sum(revenue) / count(DISTINCT order_id), 2) AS DECIMAL(12, 2)) FROM gold.fact_order_items) AS avg_order_value,
  (SELECT count(*) FROM gold.fact_orders) AS orders,
  (SELECT count(DISTINCT customer_unique_id) FROM gold.fact_orders) AS customers,
  (SELECT CAST(round(100.0 * count(*) FILTER (WHERE order_status = 'canceled') / count(*), 2) AS DECIMAL(5, 2)) FROM gold.fact_orders) AS canceled_pct,
  (SELECT sum(payment_total) FROM gold.fact_orders) AS payment_total;

CREATE OR REFRESH MATERIALIZED VIEW gold.revenue_by_state
COMMENT 'revenue (price + freight) and orders per customer state'
AS SELECT customer_state, count(DISTINCT order_id) AS orders, sum(revenue) AS revenue
FROM gold.fact_order_items
GROUP BY customer_state;

CREATE OR REFRESH MATERIALIZED VIEW gold.revenue_by_category
COMMENT 'revenue (price + freight) and items per product category'
AS SELECT p.product_category, count(*) AS items, sum(f.revenue) AS revenue
FROM gold.fact_order_items f
LEFT JOIN gold.dim_products p ON f.product_id = p.product_id
GROUP BY p.product_category;

CREATE OR REFRESH MATERIALIZED VIEW gold.orders_by_payment_method
COMMENT 'distinct orders and amount paid per payment method (boleto reported as cash)'
AS SELECT payment_method, count(DISTINCT order_id) AS orders, sum(payment_value) AS paid
FROM silver.order_payments
GROUP BY payment_method;

CREATE OR REFRESH MATERIALIZED VIEW gold.orders_by_installments
COMMENT 'distinct orders paid in one go and in instalments (an order with several payments can be in both)'
AS SELECT CASE WHEN payment_installments > 1 THEN 'instalments' ELSE 'one-time' END AS plan,
          count(DISTINCT order_id) AS orders
FROM silver.order_payments
GROUP BY CASE WHEN payment_installments > 1 THEN 'instalments' ELSE 'one-time' END;
