import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-api-gateway';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import type { RunReport } from '../../../functions/core/report.js';
import { ROTATION_KINDS } from '../../../functions/core/types.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { writeHistoryFiles } from '../../../functions/report/files.js';
import { HISTORY_QUERIES } from '../../../infra/organization/history-queries.js';
import { HISTORY_COLUMNS } from '../../../infra/organization/history-table.js';
import { LocalHistory } from '../../../scripts/local-history.js';
import { createPlans, dayAt, World } from '../../support/world.js';

/**
 * The named queries of the organization's history (infra/organization/history-queries.ts), run in DuckDB
 * over the run reports of a simulated year in two accounts, in the report bucket's layout: each query
 * returns what the reports say it should.
 */
const DAYS = 365;
/** Account B joins the organization late in the year. */
const B_FROM = 250;
const EXEMPT_UNTIL = '2026-03-31';
const day = (d: number) => dayAt(d).toISOString().slice(0, 10);
const slashed = (d: number) => day(d).replaceAll('-', '/');

interface Account {
  world: World;
  reports: RunReport[];
}

const root = mkdtempSync(join(tmpdir(), 'keyrot-history-'));
const planted = mkdtempSync(join(tmpdir(), 'keyrot-history-planted-'));
let a: Account;
let b: Account;
let history: LocalHistory;

/** Onboards credentials, pauses one (it becomes overdue), exempts an unmanaged key until EXEMPT_UNTIL. */
async function seed(world: World, onboardDay: number, credentials: [string, string][], paused: string) {
  const { apigw } = world.raw();
  const plans = await createPlans(apigw, ['gold', 'silver']);
  for (const [i, [credential, policy]] of credentials.entries()) {
    const onboarded = await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(onboardDay) },
      { credential, usagePlanIds: [plans[i % 2]!], policy },
    );
    if (credential === paused) {
      await apigw.send(
        new TagResourceCommand({
          resourceArn: `arn:aws:apigateway:${world.region}::/apikeys/${onboarded.keyId}`,
          tags: { 'rotation:paused-until': '2030-01-01T00:00:00Z', 'rotation:pause-reason': 'vendor freeze' },
        }),
      );
    }
  }
  const exempt = await apigw.send(
    new CreateApiKeyCommand({
      name: 'quarterly-batch',
      enabled: true,
      tags: {
        'rotation:exempt': 'unmanaged',
        'rotation:exempt-until': EXEMPT_UNTIL,
        'rotation:exempt-reason': 'quarterly batch, owner migrating',
      },
    }),
  );
  await apigw.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: plans[0]!, keyId: exempt.id, keyType: 'API_KEY' }),
  );
  return exempt.id!;
}

async function year(world: World, from: number): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (let d = from; d <= DAYS; d++) {
    const { report } = await world.run(d);
    reports.push(report);
    await writeHistoryFiles(root, report);
  }
  return reports;
}

let exemptKeyA: string;

beforeAll(async () => {
  a = { world: new World(), reports: [] };
  b = { world: new World(), reports: [] };
  exemptKeyA = await seed(
    a.world,
    0,
    [
      ['acme-checkout', '30d'],
      ['globex-partner', '60d'],
      ['initech-reports', '90d'],
      ['stuck-batch', '30d'],
    ],
    'stuck-batch',
  );
  await seed(
    b.world,
    B_FROM - 1,
    [
      ['acme-checkout', '30d'],
      ['hooli-search', '30d'],
    ],
    'hooli-search',
  );
  // Each account on its own clock: the two years run side by side.
  [a.reports, b.reports] = await Promise.all([year(a.world, 1), year(b.world, B_FROM)]);
  history = await LocalHistory.open([root], day(DAYS));
}, 600_000);

afterAll(() => {
  history?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(planted, { recursive: true, force: true });
});

describe('the history of a year of runs in two accounts, in the report bucket layout, read by DuckDB', () => {
  it('is one JSON object per line, in json/ folders of their own, one per run', () => {
    const files = readdirSync(join(root, 'runs'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.json'),
    );
    expect(files).toHaveLength(a.reports.length + b.reports.length);
    for (const f of files.slice(0, 20)) {
      expect(f).toMatch(/^\d{4}\/\d{2}\/\d{2}\/json\/[^/]+\.json$/);
      expect(
        readFileSync(join(root, 'runs', f), 'utf8')
          .trimEnd()
          .split('\n'),
      ).toHaveLength(1);
    }
  });

  it('keyrot report --reports reads a local copy of the history, as it reads a --report-dir folder', async () => {
    let stdout = '';
    const code = await runCli(['report', '--from', day(0), '--to', day(DAYS), '--reports', root, '--json'], {
      stdout: (t) => (stdout += t),
      stderr: () => {},
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ runs: a.reports.length + b.reports.length });
  });

  it('the Glue table has a column for every field the reports hold', () => {
    const paths = new Set<string>();
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value)) for (const v of value) walk(v, `${path}[]`);
      else if (value !== null && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
      else paths.add(path);
    };
    for (const r of [...a.reports, ...b.reports]) walk(r, '');
    const declared = new Set<string>();
    const fields = (type: string, path: string) => {
      // Field names of a struct type, nested; arrays add [].
      const names = [...type.matchAll(/([A-Za-z]+):/g)].map((m) => m[1]!);
      for (const n of names) declared.add(`${path}.${n}`);
    };
    for (const c of HISTORY_COLUMNS) {
      declared.add(c.name);
      fields(c.type, c.type.startsWith('array<') ? `${c.name}[]` : c.name);
    }
    const missing = [...paths].filter((p) => !declared.has(p.replace(/\.usagePlans\[\]$/, '.usagePlans')));
    expect(missing).toEqual([]);
  });

  it('credentials overdue today: exactly the last report of each account marks overdue', async () => {
    const rows = await history.query(HISTORY_QUERIES.overdueToday.sql);
    const expected = [a, b]
      .flatMap(({ reports }) => {
        const last = reports.at(-1)!;
        return last.findings
          .filter((f) => f.kind === 'overdue' && f.resolvedByRun === undefined)
          .map((f) => ({
            account: last.account,
            region: last.region,
            credential: f.credential,
            key_id: f.keyId,
          }));
      })
      .sort((x, y) => `${x.account}${x.credential}`.localeCompare(`${y.account}${y.credential}`));
    expect(
      rows.map(({ account, region, credential, key_id }) => ({ account, region, credential, key_id })),
    ).toEqual(expected);
    // The paused credential of each account, overdue since its grace ended, and nothing else.
    expect(new Set(expected.map((e) => `${e.account} ${e.credential}`))).toEqual(
      new Set([`${a.world.accountId} stuck-batch`, `${b.world.accountId} hooli-search`]),
    );
  });

  it('every rotation of a credential in a period: each done rotation the reports contain, in both accounts', async () => {
    const [from, to] = [40, 300];
    const rows = await history.query(HISTORY_QUERIES.rotationsOfCredential.sql, [
      'acme-checkout',
      slashed(from),
      slashed(to),
    ]);
    const expected = [...a.reports, ...b.reports]
      .filter((r) => r.generatedAt.slice(0, 10) >= day(from) && r.generatedAt.slice(0, 10) <= day(to))
      .flatMap((r) =>
        r.actions
          .filter(
            (x) =>
              x.credential === 'acme-checkout' && ROTATION_KINDS.includes(x.kind) && x.outcome === 'done',
          )
          .map((x) => ({ account: r.account, run_id: r.runId, kind: x.kind, replaced_key_id: x.keyId })),
      )
      .sort((x, y) => `${x.run_id}`.localeCompare(`${y.run_id}`));
    const got = rows
      .map(({ account, run_id, kind, replaced_key_id }) => ({ account, run_id, kind, replaced_key_id }))
      .sort((x, y) => `${String(x.run_id)}`.localeCompare(`${String(y.run_id)}`));
    expect(got).toEqual(expected);
    // A 30-day policy: about eight rotations in A's 260 days, one or two in B's 50.
    expect(got.filter((r) => r.account === a.world.accountId).length).toBeGreaterThanOrEqual(7);
    expect(got.filter((r) => r.account === b.world.accountId).length).toBeGreaterThanOrEqual(1);
  });

  it('keys deleted without a disable window: none in a healthy year, though keys were deleted', async () => {
    const deleted = [...a.reports, ...b.reports].flatMap((r) => r.keys.filter((k) => k.state === 'deleted'));
    expect(deleted.length).toBeGreaterThan(10);
    expect(await history.query(HISTORY_QUERIES.deletedWithoutDisableWindow.sql)).toEqual([]);
  });

  it("keys deleted without a disable window: the planted report where a key was deleted without being disabled first, and one disabled for less than its policy's window", async () => {
    // A run of account A that (had keyrot a bug) deleted the retiring key in grace, never disabled.
    const source = [...a.reports].reverse().find((r) => r.keys.some((k) => k.state === 'retiring'))!;
    const victim = source.keys.find((k) => k.state === 'retiring')!;
    // And one disabled two days before it was deleted, under a policy whose window is longer.
    const hasty = source.keys.find((k) => k.state === 'active' && (k.disableWindowDays ?? 0) > 2)!;
    const twoDaysBefore = new Date(Date.parse(source.generatedAt) - 2 * 86_400_000).toISOString();
    const bad: RunReport = {
      ...source,
      runId: 'planted-run',
      generatedAt: source.generatedAt.replace(/\.\d{3}Z$/, '.999Z'),
      keys: source.keys.map((k) =>
        k === victim
          ? {
              ...k,
              state: 'deleted',
              enabled: false,
              disabledAt: null,
              deletedAt: source.generatedAt,
              action: 'delete-key',
              reason: 'planted',
              outcome: 'done',
            }
          : k === hasty
            ? {
                ...k,
                state: 'deleted',
                enabled: false,
                disabledAt: twoDaysBefore,
                deletedAt: source.generatedAt,
                action: 'delete-key',
                reason: 'planted: disabled for less than its window',
                outcome: 'done',
              }
            : k,
      ),
    };
    await writeHistoryFiles(planted, bad);
    const withPlanted = await LocalHistory.open([root, planted], day(DAYS));
    try {
      const rows = await withPlanted.query(HISTORY_QUERIES.deletedWithoutDisableWindow.sql);
      const expected = [
        expect.objectContaining({
          account: a.world.accountId,
          run_id: 'planted-run',
          key_id: victim.keyId,
          credential: victim.credential,
          disabled_at: null,
        }),
        expect.objectContaining({
          run_id: 'planted-run',
          key_id: hasty.keyId,
          disabled_at: twoDaysBefore,
          disable_window_days: hasty.disableWindowDays,
        }),
      ];
      // Ordered by run, then key id.
      expect(rows).toEqual(victim.keyId < hasty.keyId ? expected : [...expected].reverse());
    } finally {
      withPlanted.close();
    }
  });

  it('exceptions with expired exemptions: the exemption that ran out, flagged from the day after it', async () => {
    const rows = await history.query(HISTORY_QUERIES.expiredExemptions.sql, [slashed(0), slashed(DAYS)]);
    const flagged = a.reports.filter((r) =>
      r.findings.some((f) => f.kind === 'exemption-expired' && f.keyId === exemptKeyA),
    );
    expect(rows.filter((r) => r.account === a.world.accountId)).toEqual([
      {
        account: a.world.accountId,
        region: 'us-east-1',
        key_id: exemptKeyA,
        tag: 'rotation:exempt-until',
        exempt_until: EXEMPT_UNTIL,
        first_flagged: flagged[0]!.generatedAt,
        last_flagged: flagged.at(-1)!.generatedAt,
        runs: String(flagged.length),
      },
    ]);
    expect(flagged[0]!.generatedAt.slice(0, 10)).toBe('2026-04-01');
    // Account B's exemption had already run out when it joined: flagged from its first run.
    expect(rows.filter((r) => r.account === b.world.accountId)).toHaveLength(1);
  });
});
