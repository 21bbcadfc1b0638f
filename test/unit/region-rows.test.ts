/**
 * A multi-region credential's keys per region (docs/multi-region.md): the run report's key rows of
 * every region, what keys by key id telling regions apart, the `unused` check of a current key used
 * in another region, `RetirementsPostponed` per region, and the `replication-failed` finding.
 */
import { describe, expect, it } from 'vitest';
import { findingsAfterRun } from '../../functions/core/after-run.js';
import { METRIC, runMetrics } from '../../functions/core/metrics.js';
import { plan } from '../../functions/core/plan.js';
import { planRegionalRetirement } from '../../functions/core/regional-retirement.js';
import { requestsElsewhere, usageNeeded } from '../../functions/core/regional-usage.js';
import { replicationFindings } from '../../functions/core/replication.js';
import { buildRunReport, type ReportInput } from '../../functions/core/report.js';
import { SECURITY_CHECKS, securityHubUpdate } from '../../functions/core/security-findings.js';
import type { Action, Finding, Inventory, RegionKeys, UsageWindow } from '../../functions/core/types.js';
import type { Outcome } from '../../functions/reconcile/apply.js';
import { reportToCsv } from '../../functions/report/csv.js';
import { reportToHtml } from '../../functions/report/html.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const HOME = 'us-east-1';
const EU = 'eu-west-1';
const day = (n: number) => at(n).toISOString().slice(0, 10);
const used = (requests: Record<string, number>): UsageWindow => ({
  from: day(20),
  to: day(110),
  requests,
  lastUsed: Object.fromEntries(Object.keys(requests).map((id) => [id, day(105)])),
});

/** Credential c rotated on day 90: k1 (v1) retiring, k2 (v2) current; an unmanaged key u. */
function home(regions?: RegionKeys[], usage?: UsageWindow): Inventory {
  const inv = inventory(
    [
      key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
      key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90 }),
      key({ id: 'u' }),
    ],
    [secret('c', { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] })],
  );
  return { ...inv, usage, ...(regions !== undefined && { otherRegions: regions }) };
}
/** eu-west-1's keys of c: the same versions; its first key's id is the home one's (ids are per region). */
const eu = (usage?: UsageWindow): RegionKeys => ({
  region: EU,
  keys: [
    key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', plans: [] }),
    key({ id: 'e2', credential: 'c', generation: 2, version: 'v2', plans: [] }),
    // Another region's unmanaged key, and a key of a credential not owned here: that region's to report.
    key({ id: 'eu-u', plans: [] }),
    key({ id: 'e9', credential: 'other', generation: 1, version: 'x', plans: [] }),
  ],
  ...(usage !== undefined && { usage }),
});

function report(before: Inventory, n: number, run: (p: ReturnType<typeof plan>) => Outcome[] = () => []) {
  const p = plan(before, config, at(n));
  p.actions.push(...planRegionalRetirement(before, p.actions, before.otherRegions ?? [], config));
  const outcomes = run(p);
  const input: ReportInput = {
    runId: 'r1',
    where: { account: '123456789012', region: HOME },
    trigger: 'schedule',
    dryRun: false,
    now: at(n),
    config,
    before,
    plan: p,
    outcomes,
    after: before,
  };
  return { p, outcomes, input, report: buildRunReport(input) };
}
const rowsOf = (r: ReturnType<typeof buildRunReport>) =>
  r.keys.map((k) => `${k.keyId}@${k.region}:${k.state}${k.action === null ? '' : `:${k.action}`}`);

describe('the run report: a multi-region credential’s keys in every region', () => {
  it('a row per key of the credential in each region, with its region; the totals stay the run’s region’s', () => {
    const single = report(home(), 95).report;
    const multi = report(home([eu()]), 95).report;
    expect(rowsOf(single)).toEqual([`k1@${HOME}:retiring`, `k2@${HOME}:active`, `u@${HOME}:unmanaged`]);
    expect(rowsOf(multi)).toEqual([
      `k1@${HOME}:retiring`,
      `k1@${EU}:retiring`,
      `k2@${HOME}:active`,
      `e2@${EU}:active`,
      `u@${HOME}:unmanaged`,
    ]);
    expect(multi.totals).toEqual(single.totals);
    const e2 = multi.keys.find((k) => k.keyId === 'e2')!;
    expect(e2).toMatchObject({ credential: 'c', generation: 2, policy: '90d', compliant: true });
    expect(e2.activatedAt).toBe(at(90).toISOString());
    expect(multi.keys.find((k) => k.keyId === 'k1' && k.region === EU)?.retiringAt).toBe(
      at(90).toISOString(),
    );
  });

  it('an action attaches to the key of its region, though another region has a key with the same id', () => {
    const { input } = report(home([eu()]), 105);
    const outcomes: Outcome[] = input.plan.actions.map((action) => ({ action, status: 'done' }));
    // Home read again after the run (k1 disabled there); eu-west-1 not: the run's actions applied.
    const after = {
      ...input.before,
      keys: input.before.keys.map((k) => (k.id === 'k1' ? { ...k, enabled: false } : k)),
      otherRegions: undefined,
    };
    const r = buildRunReport({ ...input, outcomes, after });
    expect(rowsOf(r)).toEqual([
      `k1@${HOME}:disabled:disable-key`,
      `k1@${EU}:disabled:disable-key`,
      `k2@${HOME}:active`,
      `e2@${EU}:active`,
      `u@${HOME}:unmanaged`,
    ]);
    expect(r.keys.find((k) => k.keyId === 'k1' && k.region === EU)?.disabledAt).toBe(at(105).toISOString());
    expect(r.totals.disabled).toBe(2);
  });

  it('a key deleted there is a deleted row of its region; a key only read again after the run is a row too', () => {
    const before = home([eu()]);
    const deleteEu: Action = {
      kind: 'delete-key',
      credential: 'c',
      keyId: 'k1',
      region: EU,
      reason: 'twin gone',
    };
    const { input } = report(before, 140);
    const p = { ...input.plan, actions: [deleteEu] };
    const made = key({ id: 'e3', credential: 'c', generation: 3, version: 'v3', plans: [] });
    const after = { ...before, otherRegions: [{ region: EU, keys: [eu().keys[1]!, made] }] };
    const r = buildRunReport({ ...input, plan: p, outcomes: [{ action: deleteEu, status: 'done' }], after });
    expect(rowsOf(r).filter((row) => row.includes(EU))).toEqual([
      `k1@${EU}:deleted:delete-key`,
      `e2@${EU}:active`,
      `e3@${EU}:retiring`,
    ]);
    // A region not read again after the run: as read before, with the run's actions applied.
    const unread = buildRunReport({
      ...input,
      plan: p,
      outcomes: [{ action: deleteEu, status: 'done' }],
      after: { ...before, otherRegions: [] },
    });
    expect(rowsOf(unread).filter((row) => row.includes(EU))).toEqual([
      `k1@${EU}:deleted:delete-key`,
      `e2@${EU}:active`,
    ]);
    expect(r.totals.keys).toBe(3);
  });

  it('CSV: a region column, last; HTML: a Region column in the key table only when rows span regions', () => {
    const single = report(home(), 95).report;
    const multi = report(home([eu()]), 95).report;
    const [header, ...lines] = reportToCsv(multi).trim().split('\r\n');
    expect(header?.endsWith(',error,region')).toBe(true);
    expect(lines.filter((l) => l.endsWith(`,${EU}`))).toHaveLength(2);
    const keyTable = (html: string) => html.slice(html.indexOf('<h2>Keys</h2>'));
    expect(keyTable(reportToHtml(single))).not.toContain('<th>Region</th>');
    expect(keyTable(reportToHtml(multi))).toContain('<th>Region</th>');
    expect(keyTable(reportToHtml(multi))).toContain(`<td>e2</td><td>${EU}</td>`);
    // The age chart: one bar per credential, its home key's.
    expect(reportToHtml(multi).match(/<rect /g)?.length).toBe(reportToHtml(single).match(/<rect /g)?.length);
  });
});

describe('what keys by key id tells regions apart', () => {
  it('a finding about a home key is not resolved by an action on another region’s key with its id', () => {
    const finding: Finding = { kind: 'unused', credential: 'c', keyId: 'k1', message: 'unused' };
    const there: Action = { kind: 'disable-key', credential: 'c', keyId: 'k1', region: EU, reason: 'twin' };
    const here: Action = { kind: 'disable-key', credential: 'c', keyId: 'k1', reason: 'grace' };
    expect(
      findingsAfterRun([finding], [{ action: there, status: 'done' }])[0]?.resolvedByRun,
    ).toBeUndefined();
    expect(findingsAfterRun([finding], [{ action: here, status: 'done' }])[0]?.resolvedByRun).toBe(
      'disable-key',
    );
  });

  it('Security Hub: the failed rotation names the home region’s active key; a finding of another region is its own', () => {
    const { report: r } = report(home([eu()]), 95);
    const rotate = {
      kind: 'rotate' as const,
      credential: 'c',
      keyId: null,
      region: HOME,
      reason: 'due',
      outcome: 'failed' as const,
      detail: null,
      error: 'Boom: down',
    };
    // Home rows after the other region's, as an older report might list them.
    const shuffled = { ...r, keys: [...r.keys].reverse(), actions: [rotate] };
    const replication = replicationFindings(
      {
        ...home(),
        secrets: [
          secret(
            'c',
            {},
            {
              primaryRegion: HOME,
              replication: [
                { region: EU, status: 'Failed', message: 'KMS key disabled' },
                { region: 'ap-south-1', status: 'Failed' },
              ],
            },
          ),
        ],
      },
      config,
    );
    const update = securityHubUpdate({
      report: { ...shuffled, findings: replication },
      partition: 'aws',
      now: at(95),
      active: [],
    });
    const failed = update.findings.find((f) => f.GeneratorId === 'keyrot/rotation-failed');
    expect(failed?.Resources[0]?.Id).toBe(`arn:aws:apigateway:${HOME}::/apikeys/k2`);
    const replicas = update.findings.filter((f) => f.GeneratorId === 'keyrot/replication-failed');
    expect(replicas.map((f) => [f.Severity.Label, f.Resources[0]?.Type])).toEqual([
      ['HIGH', 'AwsSecretsManagerSecret'],
      ['HIGH', 'AwsSecretsManagerSecret'],
    ]);
    expect(new Set(replicas.map((f) => f.Id)).size).toBe(2);
    expect(SECURITY_CHECKS['replication-failed'].runbook).toBe('multi-region.md#replication-failed');
    // A finding about another region's key is a resource of that region.
    const there = securityHubUpdate({
      report: {
        ...r,
        findings: [{ kind: 'unused', keyId: 'k1', region: EU, credential: 'c', message: 'm' }],
      },
      partition: 'aws',
      now: at(95),
      active: [],
    });
    expect(there.findings[0]?.Resources[0]).toMatchObject({
      Id: `arn:aws:apigateway:${EU}::/apikeys/k1`,
      Region: EU,
    });
  });
});

describe('the unused check of a current key counts every region’s requests', () => {
  const unusedOf = (inv: Inventory) =>
    plan(inv, config, at(105)).findings.filter((f) => f.kind === 'unused' && f.credential === 'c');

  it('a current key used only in eu-west-1 is not unused at home; unused in every region it is', () => {
    expect(unusedOf(home([eu(used({ e2: 7 }))], used({})))).toEqual([]);
    expect(unusedOf(home([eu(used({}))], used({})))).toEqual([
      expect.objectContaining({ keyId: 'k2', credential: 'c' }),
    ]);
    // eu-west-1's usage unread: as before, home's requests alone.
    expect(unusedOf(home([eu()], used({})))).toHaveLength(1);
    expect(
      Object.fromEntries(requestsElsewhere(home([eu(used({ e2: 7, k1: 2, e9: 4 }))]), config.tagPrefix)),
    ).toEqual({
      k2: 7,
      k1: 2,
    });
  });

  it('a region’s usage is read when the current key had no request at home (not only for retirements)', () => {
    const current = [eu().keys[1]!];
    expect(usageNeeded(home(undefined, used({})), current, config)).toBe(true);
    expect(usageNeeded(home(undefined, used({ k2: 3 })), current, config)).toBe(false);
    // Home usage unread: the unused check says nothing anyway.
    expect(usageNeeded(home(), current, config)).toBe(false);
  });
});

describe('RetirementsPostponed per region', () => {
  it('a retirement held by requests in eu-west-1 is counted with Region=eu-west-1; the total as before', () => {
    const inv = home([eu({ ...used({}), lastUsed: { k1: day(105) } })], used({}));
    const p = plan(inv, config, at(105));
    const points = runMetrics(p, [], 10).filter((m) => m.name === METRIC.retirementsPostponed);
    expect(points.map((m) => [m.value, m.dimensions])).toEqual([
      [1, undefined],
      [1, { Region: EU }],
    ]);
    // Held by home requests: no region's.
    const here = plan(home([eu()], { ...used({}), lastUsed: { k1: day(105) } }), config, at(105));
    expect(runMetrics(here, [], 10).filter((m) => m.dimensions !== undefined)).toEqual([]);
  });
});

describe('replication-failed', () => {
  it('one finding per credential and region whose replica failed, naming both; none for a replica here', () => {
    const s = secret(
      'c',
      {},
      {
        primaryRegion: HOME,
        replication: [
          {
            region: EU,
            status: 'Failed',
            message: 'Replication failed: the KMS key alias/x in eu-west-1 is Disabled.',
          },
          { region: 'ap-south-1', status: 'InSync' },
        ],
      },
    );
    const found = replicationFindings({ ...home(), secrets: [s] }, config);
    expect(found).toEqual([
      expect.objectContaining({ kind: 'replication-failed', credential: 'c', region: EU }),
    ]);
    expect(found[0]?.message).toMatch(
      /credential c: .* in eu-west-1 failed to replicate \(Replication failed: the KMS key/,
    );
    const replica = { ...s, primaryRegion: 'ap-south-1' };
    expect(replicationFindings({ ...home(), secrets: [replica] }, config)).toEqual([]);
    expect(plan({ ...home(), secrets: [s] }, config, at(1)).findings.map((f) => f.kind)).toContain(
      'replication-failed',
    );
  });
});
