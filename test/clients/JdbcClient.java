// pgjdbc (Debian's libpostgresql-jdbc-java, 42.5): what DBeaver, Metabase, Tableau's JDBC path
// and every JVM tool do. The catalog browsed with DatabaseMetaData (getSchemas, getTables,
// getColumns), then the gold queries: a PreparedStatement run 7 times (pgjdbc switches to a named
// server-side statement, and to binary transfer, after prepareThreshold = 5 runs), typed
// parameters (setDate, setInt), and a cursor fetch (autocommit off, fetch size 2: a named portal
// read 2 rows at a time). Prints one JSON document, exit status 1 when a step failed.
//
//   java -cp /usr/share/java/postgresql.jar test/clients/JdbcClient.java
//   (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE from the environment)
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public class JdbcClient {
  static final String ALL_ROWS = "SELECT day, channel, amount, units, ok FROM gold.sales ORDER BY day, amount";
  static final String TOTALS = "SELECT sum(amount) AS revenue, count(*) AS lines FROM gold.sales";
  static final String BY_CHANNEL = "SELECT day, amount, units FROM gold.sales WHERE channel = ? ORDER BY day";
  static final String FILTERED =
      "SELECT count(*) AS n, sum(amount) AS revenue FROM gold.sales WHERE day >= ? AND units > ?";

  interface Step {
    Object run(Connection conn) throws Exception;
  }

  static final Map<String, Object> out = new LinkedHashMap<>();
  static final List<String> failed = new ArrayList<>();

  static Connection connect() throws SQLException {
    String env = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    String url = "jdbc:postgresql://" + env + ":" + System.getenv().getOrDefault("PGPORT", "5432") + "/"
        + System.getenv().getOrDefault("PGDATABASE", "lake");
    Properties props = new Properties();
    props.setProperty("user", System.getenv().getOrDefault("PGUSER", "analyst"));
    props.setProperty("password", System.getenv().getOrDefault("PGPASSWORD", ""));
    props.setProperty("sslmode", "disable");
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    return DriverManager.getConnection(url, props);
  }

  static void step(String name, Step step) {
    try (Connection conn = connect()) {
      out.put(name, step.run(conn));
    } catch (Exception err) {
      String message = err.getClass().getSimpleName() + ": " + err.getMessage();
      if (err instanceof SQLException && ((SQLException) err).getSQLState() != null)
        message += " (SQLSTATE " + ((SQLException) err).getSQLState() + ")";
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", message);
      out.put(name, error);
      failed.add(name);
      System.err.println(name + ": " + message);
      if (System.getenv("STRATA_CLIENT_TRACE") != null) err.printStackTrace();
    }
  }

  /** A value as JSON holds it: dates ISO, decimals as their exact text. */
  static Object plain(Object v) {
    if (v instanceof Date) return v.toString();
    if (v instanceof BigDecimal) return ((BigDecimal) v).toPlainString();
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Boolean || v == null) return v;
    return v.toString();
  }

  static List<List<Object>> rows(ResultSet rs, String... columns) throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<Object> row = new ArrayList<>();
      if (columns.length == 0) for (int i = 1; i <= n; i++) row.add(plain(rs.getObject(i)));
      else for (String c : columns) row.add(plain(rs.getObject(c)));
      rows.add(row);
    }
    return rows;
  }

  public static void main(String[] args) throws Exception {
    out.put("client", "pgjdbc");
    out.put("version", org.postgresql.Driver.class.getPackage().getImplementationVersion());
    step("schemas", conn -> {
      List<Object> names = new ArrayList<>();
      for (List<Object> r : rows(conn.getMetaData().getSchemas(), "TABLE_SCHEM")) names.add(r.get(0));
      return names;
    });
    step("tables", conn -> rows(conn.getMetaData().getTables(null, "gold", "%", null), "TABLE_SCHEM", "TABLE_NAME",
        "TABLE_TYPE"));
    step("columns", conn -> rows(conn.getMetaData().getColumns(null, "gold", "sales", "%"), "COLUMN_NAME",
        "TYPE_NAME", "DATA_TYPE", "COLUMN_SIZE", "DECIMAL_DIGITS"));
    step("rows", conn -> {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(ALL_ROWS)) {
        ResultSetMetaData md = rs.getMetaData();
        List<Object> types = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) types.add(md.getColumnTypeName(i) + " " + md.getColumnClassName(i));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("types", types);
        r.put("rows", rows(rs));
        return r;
      }
    });
    step("totals", conn -> {
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(TOTALS)) {
        return rows(rs).get(0);
      }
    });
    step("byChannel", conn -> {
      // Seven runs of one PreparedStatement: from the 5th on, pgjdbc uses a named server-side
      // statement (prepareThreshold) and asks for the results it can read in binary.
      List<Object> runs = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement(BY_CHANNEL)) {
        for (int i = 0; i < 7; i++) {
          ps.setString(1, i % 2 == 0 ? "online" : "retail");
          try (ResultSet rs = ps.executeQuery()) {
            runs.add(rows(rs));
          }
        }
      }
      return runs;
    });
    step("filtered", conn -> {
      try (PreparedStatement ps = conn.prepareStatement(FILTERED)) {
        ps.setDate(1, Date.valueOf("2024-01-02"));
        ps.setInt(2, 2);
        try (ResultSet rs = ps.executeQuery()) {
          return rows(rs).get(0);
        }
      }
    });
    step("cursor", conn -> {
      // Autocommit off and a fetch size: pgjdbc reads through a named portal, 2 rows per Execute.
      conn.setAutoCommit(false);
      try (Statement st = conn.createStatement()) {
        st.setFetchSize(2);
        try (ResultSet rs = st.executeQuery(ALL_ROWS)) {
          List<List<Object>> rows = rows(rs);
          conn.commit();
          return rows;
        }
      }
    });
    System.out.println(json(out));
    System.exit(failed.isEmpty() ? 0 : 1);
  }

  static String json(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean || v instanceof Number) return v.toString();
    if (v instanceof Map) {
      StringBuilder b = new StringBuilder("{");
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (b.length() > 1) b.append(", ");
        b.append(json(e.getKey().toString())).append(": ").append(json(e.getValue()));
      }
      return b.append("}").toString();
    }
    if (v instanceof List) {
      StringBuilder b = new StringBuilder("[");
      for (Object o : (List<?>) v) {
        if (b.length() > 1) b.append(", ");
        b.append(json(o));
      }
      return b.append("]").toString();
    }
    StringBuilder b = new StringBuilder("\"");
    for (char c : v.toString().toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append("\"").toString();
  }
}
