/**
 * Issue 26's check, for real: each statement of the deployed functions' role policies is taken off at
 * deploy time (KEYROT_IAM_DROP, read by emulator/deploy.ts) and a test that needs it (the statement
 * coverage replay of a decision log says which) is run without it. The statement is caught when the run
 * fails and the emulator's IAM refused a call it would have allowed: "AccessDenied", "not authorized" or
 * Lambda's "does not have permissions" in the output, or a refused decision on one of the statement's
 * actions in the run's own decision log (log delivery is refused without a word, as on AWS).
 *
 *   KEYROT_IAM_LOG=/tmp/iam-all.jsonl npx vitest run --project integration iam-gateway deployed-rotation handlers drills dead-letters
 *   npm run iam:removal -- /tmp/iam-all.jsonl [--tries N] [--only ROLE/STATEMENT,...] [--roles ROLE,...]
 *
 * Tests are tried fastest first (.cache/file-times.json), at most --tries (default 3) per statement,
 * until one catches it. Prints statement -> test -> caught; exits 1 when a statement is not caught.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { statementCoverage, type StatementUse } from './iam-statement-coverage.js';

/** The roles emulator/deploy.ts gives the deployed functions (keyrot-<function>-role). */
const FUNCTION_ROLES = ['keyrot-RotationFunction-role-us-east-1', 'keyrot-Reconciler-role-us-east-1'];
const REFUSAL = /AccessDenied|not authorized to perform|does not have permissions to call/;

interface Trial {
  test: string;
  failed: boolean;
  refusedInOutput: boolean;
  refusedInLog: boolean;
  seconds: number;
}

/** Test files by how long they took last time (.cache/file-times.json), unknown ones last. */
function byDuration(files: string[]): string[] {
  const times = new Map<string, number>();
  if (existsSync('.cache/file-times.json'))
    for (const t of JSON.parse(readFileSync('.cache/file-times.json', 'utf8')) as {
      file: string;
      seconds: number;
    }[])
      times.set(t.file, t.seconds);
  return [...files].sort((a, b) => (times.get(a) ?? Infinity) - (times.get(b) ?? Infinity));
}

/** Whether `action` is one the statement grants (its Action entries may hold wildcards). */
function grants(actions: string[], action: string): boolean {
  return actions.some((a) =>
    new RegExp(`^${a.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action),
  );
}

/** One run of `test` with the statement left out of its role's policies at deploy time. */
function trial(row: StatementUse, test: string): Trial {
  const dir = mkdtempSync(join(tmpdir(), 'keyrot-iam-removal-'));
  const log = join(dir, 'decisions.jsonl');
  const started = Date.now();
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', '--bail', '1', test], {
    env: { ...process.env, KEYROT_IAM_DROP: `${row.role}/${row.statement}`, KEYROT_IAM_LOG: log },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const actions = row.actions.split(' ');
  const refusedInLog =
    existsSync(log) &&
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { kind: string; principal: string; action: string; result: string })
      .some(
        (d) =>
          d.kind === 'decision' &&
          d.principal.endsWith(`/${row.role}`) &&
          d.result !== 'Allowed' &&
          grants(actions, d.action),
      );
  rmSync(dir, { recursive: true, force: true });
  return {
    test,
    failed: run.status !== 0,
    refusedInOutput: REFUSAL.test(`${run.stdout}${run.stderr}`),
    refusedInLog,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

const caught = (t: Trial) => t.failed && (t.refusedInOutput || t.refusedInLog);

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { tries: { type: 'string', default: '3' }, only: { type: 'string' }, roles: { type: 'string' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write(
      'usage: tsx scripts/iam-statement-removal.ts KEYROT_IAM_LOG_FILE [--tries N] [--only ROLE/SID,...]\n',
    );
    return 2;
  }
  const roles = values.roles?.split(',') ?? FUNCTION_ROLES;
  const only = values.only?.split(',');
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Parameters<typeof statementCoverage>[0][number]);
  const rows = statementCoverage(lines).filter(
    (r) => roles.includes(r.role) && (only === undefined || only.includes(`${r.role}/${r.statement}`)),
  );
  const table: string[][] = [
    ['role', 'statement', 'test', 'failed', 'refused (output / decision log)', 'caught'],
  ];
  let missed = 0;
  for (const row of rows) {
    const trials: Trial[] = [];
    for (const test of byDuration(row.tests).slice(0, Number(values.tries))) {
      process.stderr.write(`${row.role}/${row.statement}: ${test} ... `);
      const t = trial(row, test);
      trials.push(t);
      process.stderr.write(
        `${caught(t) ? 'caught' : t.failed ? 'failed, no refusal' : 'passed'} (${t.seconds} s)\n`,
      );
      if (caught(t)) break;
    }
    const last = trials.find(caught) ?? trials.at(-1);
    if (last === undefined || !caught(last)) missed += 1;
    const yes = (b: boolean) => (b ? 'yes' : 'no');
    table.push(
      last === undefined
        ? [row.role, row.statement, '(no test needs it)', '-', '-', 'no']
        : [
            row.role,
            row.statement,
            last.test,
            yes(last.failed),
            `${yes(last.refusedInOutput)} / ${yes(last.refusedInLog)}`,
            yes(caught(last)),
          ],
    );
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
  process.stdout.write(`${rows.length} statements, ${missed} not caught by a test\n`);
  return missed === 0 ? 0 : 1;
}

process.exit(main());
