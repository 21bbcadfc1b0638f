/**
 * The organization's Athena history, locally: DuckDB reads a folder in the report bucket's layout
 * (runs/YYYY/MM/DD/json/<stem>.json, one JSON object per line) with the Glue table's columns, and runs
 * the named queries' SQL with the small translations docs/organization.md lists.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HISTORY_COLUMNS, DAY_PARTITION } from '../../infra/organization/history-table.js';

/** A Hive type (Glue's) as DuckDB's: string -> VARCHAR, array<T> -> T[], struct<a:T> -> STRUCT("a" T). */
export function duckdbType(hive: string): string {
  let at = 0;
  const parse = (): string => {
    const name = /^[a-z]+/.exec(hive.slice(at))?.[0] ?? '';
    at += name.length;
    if (name === 'array') {
      at++; // <
      const inner = parse();
      at++; // >
      return `${inner}[]`;
    }
    if (name === 'struct') {
      at++; // <
      const fields: string[] = [];
      while (hive[at] !== '>') {
        const field = /^[A-Za-z_][A-Za-z0-9_]*/.exec(hive.slice(at))![0];
        at += field.length + 1; // name:
        fields.push(`"${field}" ${parse()}`);
        if (hive[at] === ',') at++;
      }
      at++; // >
      return `STRUCT(${fields.join(', ')})`;
    }
    const scalar: Record<string, string> = {
      string: 'VARCHAR',
      boolean: 'BOOLEAN',
      int: 'INTEGER',
      bigint: 'BIGINT',
      double: 'DOUBLE',
    };
    const mapped = scalar[name];
    if (mapped === undefined) throw new Error(`no DuckDB type for Hive type ${name} in ${hive}`);
    return mapped;
  };
  const type = parse();
  if (at !== hive.length) throw new Error(`unparsed Hive type: ${hive.slice(at)}`);
  return type;
}

/**
 * What differs between Athena (Trino) and DuckDB for these queries, applied to the SQL text or given as
 * DuckDB macros (each listed in docs/organization.md):
 * 1. `from_iso8601_timestamp(s)`: no such function in DuckDB; a macro casts the ISO string to TIMESTAMPTZ.
 * 2. `current_date`: Athena's is today (UTC); the test pins it to the simulated year's day.
 * 3. The table: Athena's Glue table with the projected `day` partition; here a view over read_json with
 *    `day` taken from the file's folder (what storage.location.template maps for Athena).
 */
export function toDuckDb(sql: string, today: string): string {
  return sql.replace(/\bcurrent_date\b/g, `DATE '${today}'`);
}

export class LocalHistory {
  private constructor(
    private readonly connection: DuckDBConnection,
    readonly today: string,
  ) {}

  /** `roots`: folders that each hold runs/YYYY/MM/DD/json/ (as the report bucket or its replica). */
  static async open(roots: string[], today: string): Promise<LocalHistory> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`);
    await connection.run(`SET TimeZone = 'UTC'`);
    const columns = HISTORY_COLUMNS.map((c) => `"${c.name}": '${duckdbType(c.type)}'`).join(', ');
    const globs = roots.map((r) => `'${r.replaceAll("'", "''")}/runs/*/*/*/json/*.json'`).join(', ');
    await connection.run(
      `CREATE VIEW run_reports AS
       SELECT * EXCLUDE (filename),
         regexp_extract(filename, 'runs/(\\d{4}/\\d{2}/\\d{2})/json/[^/]+$', 1) AS ${DAY_PARTITION}
       FROM read_json([${globs}], format = 'newline_delimited', filename = true, columns = {${columns}})`,
    );
    return new LocalHistory(connection, today);
  }

  /** Runs a named query's SQL (translated) with its `?` parameters; rows as plain JSON values. */
  async query(sql: string, parameters: string[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(toDuckDb(sql, this.today), parameters);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  }

  close(): void {
    this.connection.closeSync();
  }
}
