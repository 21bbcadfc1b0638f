/**
 * The organization's Athena history, locally: DuckDB reads a folder in the report bucket's layout
 * (runs/YYYY/MM/DD/json/<stem>.json, one JSON object per line) with the Glue table's columns, and runs
 * the named queries' SQL with the small translations docs/organization.md lists. The history test and
 * `npm run demo -- --history` use it; so can an auditor trying a query on a downloaded copy:
 *
 *   npx tsx scripts/local-history.ts DIR [today YYYY-MM-DD] [credential]   # every named query, its rows
 */
import { pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { HISTORY_COLUMNS, DAY_PARTITION } from '../infra/organization/history-table.js';

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

/** The named queries' example parameters, for a history whose days run from `first` to `last`. */
function exampleParameters(name: string, first: string, last: string, credential: string): string[] {
  const slashed = (d: string) => d.replaceAll('-', '/');
  if (name === 'keyrot-rotations-of-credential') return [credential, slashed(first), slashed(last)];
  if (name === 'keyrot-expired-exemptions') return [slashed(first), slashed(last)];
  return [];
}

/** Runs every named query over a local history and prints its rows (at most `limit` each). */
export async function printNamedQueries(
  root: string,
  options: { first: string; today: string; credential: string; limit?: number },
  print: (line: string) => void,
): Promise<void> {
  const { HISTORY_QUERIES } = await import('../infra/organization/history-queries.js');
  const history = await LocalHistory.open([root], options.today);
  try {
    for (const query of Object.values(HISTORY_QUERIES)) {
      const parameters = exampleParameters(query.name, options.first, options.today, options.credential);
      const rows = await history.query(query.sql, parameters);
      const shown = parameters.length === 0 ? '' : ` (${parameters.map((p) => `'${p}'`).join(', ')})`;
      print(`  ${query.name}${shown}: ${rows.length} row${rows.length === 1 ? '' : 's'}`);
      for (const row of rows.slice(0, options.limit ?? 5)) print(`    ${JSON.stringify(row)}`);
    }
  } finally {
    history.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [root, today = new Date().toISOString().slice(0, 10), credential = ''] = process.argv.slice(2);
  if (root === undefined)
    throw new Error('usage: tsx scripts/local-history.ts DIR [today YYYY-MM-DD] [credential]');
  await printNamedQueries(root, { first: '2000-01-01', today, credential }, console.log);
}
