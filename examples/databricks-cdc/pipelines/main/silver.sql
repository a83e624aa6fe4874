-- Silver: typed, cleaned and validated.

CREATE OR REFRESH STREAMING TABLE silver_customers_cdc (
  CONSTRAINT valid_id EXPECT (customer_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_operation EXPECT (operation IN ('APPEND', 'UPDATE', 'DELETE')) ON VIOLATION DROP ROW
)
COMMENT 'customer changes, cleaned'
AS SELECT
  CAST(customer_id AS BIGINT) AS customer_id,
  initcap(trim(name)) AS name,
  lower(trim(email)) AS email,
  nvl(initcap(city), 'Unknown') AS city,
  upper(operation) AS operation,
  to_timestamp(updated_at, 'yyyy-MM-dd HH:mm:ss') AS updated_at
FROM STREAM(LIVE.bronze_customers);

CREATE OR REFRESH STREAMING TABLE silver_orders (
  CONSTRAINT positive_amount EXPECT (amount > 0) ON VIOLATION DROP ROW,
  CONSTRAINT valid_date EXPECT (order_date IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT known_status EXPECT (status IN ('paid', 'shipped'))
)
COMMENT 'orders, typed'
AS SELECT
  CAST(order_id AS BIGINT) AS order_id,
  CAST(customer_id AS BIGINT) AS customer_id,
  try_to_date(order_date, 'dd/MM/yyyy') AS order_date,
  CAST(amount AS DECIMAL(10, 2)) AS amount,
  lower(trim(status)) AS `status`
FROM STREAM(LIVE.bronze_orders);
