// JSON in Databricks SQL, pinned to the examples of Databricks' "JSON path expression" and
// ": (colon sign) operator" pages (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-json-path-expression,
// .../functions/colonsign) on their store_data row, and to Spark's from_json / json_tuple /
// schema_of_json / json_object_keys examples (https://spark.apache.org/docs/latest/api/sql/).
import { describe, expect, it } from 'vitest';
import { useSession } from '../../test/helpers/harness.js';
import { quoteLiteral } from '../engine/index.js';
import { sparkToDuckdb } from './spark.js';

const held = useSession(1);

const STORE = `{
  "store":{
    "fruit": [ {"weight":8,"type":"apple"}, {"weight":9,"type":"pear"} ],
    "basket":[ [1,2,{"b":"y","a":"x"}], [3,4], [5,6] ],
    "book":[
      { "author":"Nigel Rees", "title":"Sayings of the Century", "category":"reference", "price":8.95 },
      { "author":"Herman Melville", "title":"Moby Dick", "category":"fiction", "price":8.99, "isbn":"0-553-21311-3" },
      { "author":"J. R. R. Tolkien", "title":"The Lord of the Rings", "category":"fiction",
        "reader":[ {"age":25,"name":"bob"}, {"age":26,"name":"jack"} ], "price":22.99, "isbn":"0-395-19395-8" }
    ],
    "bicycle":{ "price":19.95, "color":"red" }
  },
  "owner":"amy",
  "zip code":"94025",
  "fb:testid":"1234"
}`;
const FROM = `FROM (SELECT ${quoteLiteral(STORE)} AS raw)`;

async function values(exprs: string[], from = FROM): Promise<unknown[]> {
  const sql = sparkToDuckdb(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')} ${from}`);
  const r = await held.session.query(sql);
  return r.rows[0];
}

describe('col:path JSON extraction (Databricks)', () => {
  it('names match whatever their case, [brackets] exactly; backticks for special characters', async () => {
    expect(await values(['raw:owner', 'raw:OWNER', "raw:['owner']", "raw:['OWNER']"])).toEqual([
      'amy',
      'amy',
      'amy',
      null,
    ]);
    expect(await values(['raw:`zip code`', 'raw:`Zip Code`', "raw:['fb:testid']"])).toEqual(['94025', '94025', '1234']);
  });

  it('nested fields: objects as JSON text', async () => {
    expect(await values(['raw:store.bicycle', "raw:['store']['bicycle']", 'raw:store.bicycle.price::double'])).toEqual([
      '{"price":19.95,"color":"red"}',
      '{"price":19.95,"color":"red"}',
      19.95,
    ]);
  });

  it('arrays: [n] from 0, [*] every element as a JSON array, subfields of each', async () => {
    expect(
      await values([
        'raw:store.fruit[0]',
        'raw:store.fruit[1]',
        'raw:store.fruit[*].type',
        'raw:store.basket[0][1]',
        'raw:store.basket[*][0]',
        'raw:store.book[2].reader[1].name',
      ]),
    ).toEqual([
      '{"weight":8,"type":"apple"}',
      '{"weight":9,"type":"pear"}',
      '["apple","pear"]',
      '2',
      '[1,3,5]',
      'jack',
    ]);
  });

  it('a path that is not there, a JSON null and text that is not JSON are NULL', async () => {
    expect(await values(['raw:nope', 'raw:store.bicycle.gears', '\'{"a":null}\':a'])).toEqual([null, null, null]);
    const sql = sparkToDuckdb(
      `SELECT raw:a AS v, raw:A AS w FROM (VALUES ('not json'), ('{"a":1}'), ('{"A":2}'), (NULL)) t(raw)`,
    );
    expect((await held.session.query(sql)).rows).toEqual([
      [null, null],
      ['1', '1'],
      ['2', '2'],
      [null, null],
    ]);
  });

  it("the colon sign operator's examples: casts after the path, from_json of [*]", async () => {
    const c1 = `FROM (SELECT '{ "item": [ { "model" : "basic", "price" : 6.12 }, { "model" : "medium", "price" : 9.24 } ] }' AS c1)`;
    expect(
      await values(
        [
          "c1:['item'][0].price::decimal(5,2)",
          'c1:item[1].price::double',
          'c1:item[*].price',
          "from_json(c1:item[*].price, 'ARRAY<DOUBLE>')[0]",
          "from_json(c1:item[*], 'ARRAY<STRUCT<model STRING, price DOUBLE>>')[1].model",
        ],
        c1,
      ),
    ).toEqual(['6.12', 9.24, '[6.12,9.24]', 6.12, 'medium']);
  });

  it('leaves slices, struct literals and :: casts alone', async () => {
    expect(await values(['[1, 2, 3][1:2]', "{'a': 1}.a", "'5'::INT"], '')).toEqual([[1, 2], 1, 5]);
  });
});

describe('JSON functions (Spark)', () => {
  it('from_json with a DDL schema: fields, arrays, maps; NULL for text that is not JSON', async () => {
    expect(
      await values(
        [
          `from_json('{"a":1, "b":0.8}', 'a INT, b DOUBLE')`,
          `from_json('{"time":"26/08/2015"}', 'time STRING').time`,
          `from_json('{"teacher": "Alice", "student": [{"name": "Bob", "rank": 1}, {"name": "Charlie", "rank": 2}]}', 'STRUCT<teacher: STRING, student: ARRAY<STRUCT<name: STRING, rank: INT>>>').student[1].name`,
          `from_json('{"a": 1}', 'MAP<STRING, INT>')['a']`,
          `from_json('nope', 'a INT')`,
        ],
        '',
      ),
    ).toEqual([{ a: 1, b: 0.8 }, '26/08/2015', 'Charlie', 1, null]);
  });

  it('json_tuple, json_object_keys, schema_of_json', async () => {
    expect(
      await values([`json_object_keys('{"f1":"abc","f2":{"f3":"a", "f4":"b"}}')`, `json_object_keys('[1]')`], ''),
    ).toEqual([['f1', 'f2'], null]);
    expect(
      await values([`schema_of_json('[{"col":0}]')`, `schema_of_json('{"b":"x","a":[1.5],"c":true}')`], ''),
    ).toEqual(['ARRAY<STRUCT<col: BIGINT>>', 'STRUCT<a: ARRAY<DOUBLE>, b: STRING, c: BOOLEAN>']);
    const rows = await held.session.query(sparkToDuckdb(`SELECT json_tuple('{"a":1, "b":2}', 'a', 'b')`));
    expect([rows.columns.map((c) => c.name), rows.rows[0]]).toEqual([
      ['c0', 'c1'],
      ['1', '2'],
    ]);
  });
});
