/**
 * Which statements of the deployed functions' policies the tests exercise: replays the emulator's IAM
 * decision log (KEYROT_IAM_LOG, written by emulator/iam/gateway.mjs) once per statement, with that
 * statement taken off its role, and counts the allowed calls that would have been refused. A statement
 * no call needs is one that a test run never exercised: removing it from infra/permissions.ts would fail
 * no test, or it is a grant the product does not use.
 *
 *   KEYROT_IAM_LOG=/tmp/iam.log npx vitest run --project integration <deployed-path tests>
 *   npx tsx scripts/iam-statement-coverage.ts /tmp/iam.log      # exits 1 when a statement is never needed
 */
import { readFileSync } from 'node:fs';
import { evaluate } from '../emulator/iam/evaluate.mjs';

interface Statement {
  Sid?: string;
  Action?: string | string[];
}
interface Policy {
  name: string;
  policy: { Statement: Statement[] | Statement };
}
interface PoliciesLine {
  kind: 'policies';
  principal: string;
  session: string;
  policies: Policy[];
}
/** Written by test/support/world.ts: which test file works in an account. */
interface TestLine {
  kind: 'test';
  account: string;
  file: string;
}
interface DecisionLine {
  kind: 'decision';
  principal: string;
  operation: string;
  action: string;
  resource: string;
  result: string;
  context: Record<string, string | string[]>;
  resourcePolicy: unknown;
}

const statementsOf = (p: Policy): Statement[] => [p.policy.Statement].flat();

/** The role's policies with statement `index` of policy `name` taken off. */
function without(policies: Policy[], name: string, index: number): Policy[] {
  return policies.map((p) =>
    p.name !== name
      ? p
      : { ...p, policy: { ...p.policy, Statement: statementsOf(p).filter((_, i) => i !== index) } },
  );
}

export interface StatementUse {
  role: string;
  statement: string;
  actions: string;
  /** Distinct allowed calls of the log (per account) that this statement alone allowed. */
  needed: number;
  example: string;
  /** The test files whose calls needed it (their accounts'). */
  tests: string[];
}

/**
 * Each allowed call is replayed against the policies its role had when it was made (a test may take a
 * statement off a role halfway), once per statement of them; statements are counted by role name (the
 * same role in each test's account), policy and Sid.
 */
export function statementCoverage(lines: (PoliciesLine | DecisionLine | TestLine)[]): StatementUse[] {
  const testsOf = new Map<string, string>();
  for (const line of lines) if (line.kind === 'test') testsOf.set(line.account, line.file);
  const current = new Map<string, PoliciesLine>();
  const buckets = new Map<PoliciesLine, Map<string, DecisionLine>>();
  for (const line of lines) {
    if (line.kind === 'policies') current.set(line.principal, line);
    else if (line.kind === 'decision' && line.result === 'Allowed' && line.resource !== '') {
      const role = current.get(line.principal);
      if (role === undefined) continue;
      // The same call on the same resource with the same context decides the same: replay it once.
      const key = JSON.stringify([line.action, line.resource, line.context, line.resourcePolicy]);
      let calls = buckets.get(role);
      if (calls === undefined) buckets.set(role, (calls = new Map()));
      calls.set(key, line);
    }
  }
  const rows = new Map<string, StatementUse>();
  for (const role of new Set([...current.values(), ...buckets.keys()])) {
    const account = role.principal.split(':')[4] ?? '';
    const calls = [...(buckets.get(role)?.values() ?? [])];
    const roleName = role.principal.split('/').pop() ?? role.principal;
    for (const policy of role.policies) {
      statementsOf(policy).forEach((statement, index) => {
        const name = statement.Sid ?? `${policy.name}#${index}`;
        const id = `${roleName} ${name}`;
        const row = rows.get(id) ?? {
          role: roleName,
          statement: name,
          actions: [statement.Action ?? []].flat().join(' '),
          needed: 0,
          example: '',
          tests: [],
        };
        rows.set(id, row);
        const reduced = without(role.policies, policy.name, index);
        for (const call of calls) {
          const result = evaluate({
            identityPolicies: reduced,
            principal: role.session,
            account,
            action: call.action,
            resource: call.resource,
            context: call.context,
            resourcePolicy: call.resourcePolicy ?? undefined,
          });
          if (result === 'Allowed') continue;
          row.needed += 1;
          const test = testsOf.get(account);
          if (test !== undefined && !row.tests.includes(test)) row.tests.push(test);
          if (row.example === '') row.example = `${call.operation} (${call.action} on ${call.resource})`;
        }
      });
    }
  }
  return [...rows.values()];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: tsx scripts/iam-statement-coverage.ts KEYROT_IAM_LOG_FILE\n');
    process.exit(2);
  }
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PoliciesLine | DecisionLine | TestLine);
  const rows = statementCoverage(lines);
  for (const row of rows) {
    const mark =
      row.needed === 0
        ? 'NEVER NEEDED'
        : `needed by ${row.needed} distinct call(s), e.g. ${row.example}${row.tests.length > 0 ? `; in ${row.tests.join(', ')}` : ''}`;
    process.stdout.write(`${row.role}  ${row.statement}  [${row.actions}]  ${mark}\n`);
  }
  const unused = rows.filter((r) => r.needed === 0).length;
  process.stdout.write(`${rows.length} statements, ${unused} never needed by a call in this log\n`);
  process.exit(unused === 0 ? 0 : 1);
}
