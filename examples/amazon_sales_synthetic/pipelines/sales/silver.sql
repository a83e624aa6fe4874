-- Silver: typed order lines. The amounts are exact decimals: total_sales is written with
-- float noise (162256.42919999998) but is quantity × unit_price × (1 − discount) +
-- shipping_cost, which has four decimals. The file is clean on the surface; the rules below
-- count what is wrong underneath (incoherent dates, totals that do not add up) without
-- dropping anything, and quarantine a line that cannot be priced.
CREATE OR REFRESH STREAMING TABLE silver.order_lines (
  CONSTRAINT order_id_present EXPECT (order_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT quantity_positive EXPECT (quantity > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT unit_price_positive EXPECT (unit_price > 0) ON VIOLATION QUARANTINE,
  CONSTRAINT discount_in_range EXPECT (discount BETWEEN 0 AND 1) ON VIOLATION QUARANTINE,
  CONSTRAINT total_adds_up EXPECT (total_sales = round(quantity * unit_price * (1 - discount) + shipping_cost, 4)),
  CONSTRAINT shipped_after_order EXPECT (ship_date >= order_date),
  CONSTRAINT delivered_after_order EXPECT (delivery_date >= order_date),
  CONSTRAINT delivered_after_shipping EXPECT (delivery_date >= ship_date)
)
COMMENT 'order lines, typed'
AS SELECT
  order_id,
  to_date(order_date, 'yyyy-MM-dd') AS order_date,
  to_date(ship_date, 'yyyy-MM-dd') AS ship_date,
  to_date(delivery_date, 'yyyy-MM-dd') AS delivery_date,
  order_status,
  customer_id,
  trim(customer_name) AS customer_name,
  country,
  state,
  city,
  product_id,
  product_name,
  category,
  sub_category,
  brand,
  CAST(quantity AS INT) AS quantity,
  CAST(unit_price AS DECIMAL(12, 2)) AS unit_price,
  CAST(discount AS DECIMAL(4, 2)) AS discount,
  CAST(shipping_cost AS DECIMAL(12, 2)) AS shipping_cost,
  CAST(total_sales AS DECIMAL(18, 4)) AS total_sales,
  payment_method
FROM STREAM(bronze.sales);
