import { describe, expect, it } from 'vitest';
import { METRIC, runMetrics } from '../../functions/core/metrics.js';
import { noCounts } from '../../functions/core/checks/registry.js';
import { plan } from '../../functions/core/plan.js';
import { planRegionalRetirement } from '../../functions/core/regional-retirement.js';
import { lastUse, mayPostpone, usageElsewhere } from '../../functions/core/regional-usage.js';
import { buildRunReport } from '../../functions/core/report.js';
import type { Action, Inventory, RegionKeys, UsageWindow } from '../../functions/core/types.js';
import { reportToHtml } from '../../functions/report/html.js';
import { periodToCsv, periodToHtml } from '../../functions/report/period.js';
import { buildPeriodReport } from '../../functions/core/period-report.js';
import type { Outcome } from '../../functions/reconcile/apply.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const EU = 'eu-west-1';
const AP = 'ap-southeast-2';
const day = (n: number) => at(n).toISOString().slice(0, 10);
const used = (lastUsed: Record<string, number>): UsageWindow => ({
  from: day(20),
  to: day(110),
  requests: Object.fromEntries(Object.keys(lastUsed).map((id) => [id, 1])),
  lastUsed: Object.fromEntries(Object.entries(lastUsed).map(([id, n]) => [id, day(n)])),
});

/** Credential c rotated on day 90 (90d policy: grace to day 104, retirement held to day 111 at most). */
function home(homeUsage?: UsageWindow, regions: RegionKeys[] = []): Inventory {
  const inv = inventory(
    [
      key({ id: 'k1', credential: 'c', generation: 1, version: 'v1', activatedDay: 0 }),
      key({ id: 'k2', credential: 'c', generation: 2, version: 'v2', activatedDay: 90 }),
    ],
    [secret('c', { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] })],
  );
  return { ...inv, usage: homeUsage, otherRegions: regions };
}
const region = (name: string, usage: UsageWindow | undefined, prefix = name.slice(0, 2)): RegionKeys => ({
  region: name,
  keys: [
    key({ id: `${prefix}1`, credential: 'c', generation: 1, version: 'v1' }),
    key({ id: `${prefix}2`, credential: 'c', generation: 2, version: 'v2' }),
  ],
  ...(usage !== undefined && { usage }),
});
const kinds = (actions: Action[]) => actions.map((a) => `${a.kind}:${'keyId' in a ? a.keyId : ''}`);

/** The run's plan with the other regions' retirements, as the reconciler makes it. */
function planAll(inv: Inventory, n: number) {
  const p = plan(inv, config, at(n));
  p.actions.push(...planRegionalRetirement(inv, p.actions, inv.otherRegions ?? [], config));
  return p;
}

describe('retirement follows the usage of a version in every region of its credential', () => {
  it('a consumer on the old key in another region only holds its retirement in every region, naming where', () => {
    const p = planAll(home(used({}), [region(EU, used({ eu1: 105 }))]), 105);
    expect(p.actions).toEqual([]);
    expect(p.stats.postponedRetirements).toBe(1);
    const held = p.findings.filter((f) => f.kind === 'retiring-key-in-use');
    expect(held).toEqual([expect.objectContaining({ keyId: 'k1', action: 'wait' })]);
    expect(held[0]?.message).toContain(`took requests on ${day(105)} in ${EU}`);
  });

  it('requests there only during the grace hold nothing: both regions retire when it ends', () => {
    expect(kinds(planAll(home(used({}), [region(EU, used({ eu1: 103 }))]), 105).actions)).toEqual([
      'disable-key:k1',
      'disable-key:eu1',
    ]);
  });

  it("at the policy's limit the key is disabled anyway in every region, naming the region that used it", () => {
    const p = planAll(home(used({}), [region(EU, used({ eu1: 112 }))]), 112);
    expect(kinds(p.actions)).toEqual(['disable-key:k1', 'disable-key:eu1']);
    const finding = p.findings.find((f) => f.kind === 'retiring-key-in-use');
    expect(finding).toMatchObject({ action: 'disable' });
    expect(finding?.message).toContain(`still took requests on ${day(112)} in ${EU}`);
  });

  it('an unread region adds nothing and hides nothing: the home region and other regions still count', () => {
    // Its usage unknown (not read, or unreadable): no evidence of use, as for the home region's own.
    expect(kinds(planAll(home(used({}), [region(EU, undefined)]), 105).actions)).toEqual([
      'disable-key:k1',
      'disable-key:eu1',
    ]);
    const homeUse = planAll(home(used({ k1: 104 }), [region(EU, undefined)]), 105);
    expect(homeUse.actions).toEqual([]);
    const inUse = (q: typeof homeUse) => q.findings.find((f) => f.kind === 'retiring-key-in-use')?.message;
    expect(inUse(homeUse)).toContain(`took requests on ${day(104)};`);
    const apUse = planAll(home(undefined, [region(EU, undefined), region(AP, used({ ap1: 106 }))]), 106);
    expect(apUse.actions).toEqual([]);
    expect(inUse(apUse)).toContain(`${day(106)} in ${AP}`);
  });

  it('an emergency retirement ignores every region’s requests', () => {
    const inv = home(used({}), [region(EU, used({ eu1: 105 }))]);
    const k1 = inv.keys.find((k) => k.id === 'k1')!;
    k1.tags['rotation:grace-until'] = at(91).toISOString();
    expect(kinds(planAll(inv, 105).actions)).toContain('disable-key:k1');
  });

  it('the latest request wins; on the same day the home region’s own', () => {
    const inv = home(used({ k1: 104 }), [
      region(EU, used({ eu1: 106, eu2: 110 })),
      region(AP, used({ ap1: 107 })),
      // A key whose twin the home region does not have, and one without tags: nothing.
      {
        region: 'sa-east-1',
        keys: [key({ id: 'x', credential: 'c', version: 'v9' }), key({ id: 'y' })],
        usage: used({ x: 109, y: 109 }),
      },
    ]);
    const elsewhere = usageElsewhere(inv, config.tagPrefix);
    expect(Object.fromEntries(elsewhere)).toEqual({
      k1: { day: day(107), region: AP },
      k2: { day: day(110), region: EU },
    });
    expect(lastUse('k1', inv.usage, elsewhere)).toEqual({ day: day(107), region: AP });
    expect(lastUse('k1', used({ k1: 107 }), elsewhere)).toEqual({ day: day(107) });
    expect(lastUse('k3', undefined, elsewhere)).toBeUndefined();
    expect(usageElsewhere(home(used({})), config.tagPrefix).size).toBe(0);
  });

  it('a region’s usage is read only when one of its keys could hold a retirement', () => {
    const inv = home();
    const k = (spec: Partial<Parameters<typeof key>[0]>) => key({ id: 'e', credential: 'c', ...spec });
    expect(mayPostpone(inv, [k({ version: 'v1' })], config)).toBe(true);
    expect(mayPostpone(inv, [k({ version: 'v2' })], config)).toBe(false); // AWSCURRENT's
    expect(mayPostpone(inv, [k({ version: 'v1', enabled: false })], config)).toBe(false);
    expect(mayPostpone(inv, [k({ version: 'v1', credential: 'other' })], config)).toBe(false);
    expect(mayPostpone(inv, [key({ id: 'u' }), k({})], config)).toBe(false);
    // A credential owned by another region's stack: its home stack reads the usage.
    const replica = { ...inv, secrets: inv.secrets.map((s) => ({ ...s, primaryRegion: EU })) };
    expect(mayPostpone(replica, [k({ version: 'v1' })], config)).toBe(false);
  });
});

describe('actions on another region’s keys carry the region', () => {
  const actions: Action[] = [
    { kind: 'disable-key', credential: 'c', keyId: 'k1', reason: 'grace ended' },
    { kind: 'disable-key', credential: 'c', keyId: 'eu1', region: EU, reason: 'twin' },
    { kind: 'delete-key', credential: 'c', keyId: 'eu0', region: EU, reason: 'twin' },
    { kind: 'disable-key', credential: 'c', keyId: 'ap1', region: AP, reason: 'twin' },
  ];
  const outcomes: Outcome[] = [
    { action: actions[0]!, status: 'done' },
    { action: actions[1]!, status: 'done' },
    { action: actions[2]!, status: 'done' },
    { action: actions[3]!, status: 'failed', error: { name: 'InternalServerError', message: 'down' } },
  ];
  const p = {
    actions,
    findings: [],
    stats: { ...plan(home(), config, at(105)).stats, checks: noCounts() },
  };

  it('metrics: the totals as before, and each region’s counts with a Region dimension', () => {
    const points = runMetrics(p, outcomes, 10);
    const of = (name: string) => points.filter((m) => m.name === name).map((m) => [m.value, m.dimensions]);
    expect(of(METRIC.keysDisabled)).toEqual([
      [2, undefined],
      [0, { Region: AP }],
      [1, { Region: EU }],
    ]);
    expect(of(METRIC.keysDeleted)).toEqual([
      [1, undefined],
      [0, { Region: AP }],
      [1, { Region: EU }],
    ]);
    expect(of(METRIC.actionFailures)).toEqual([
      [1, undefined],
      [1, { Region: AP }],
      [0, { Region: EU }],
    ]);
    // RetirementsPostponed too (none held by these regions' requests); nothing else is split by
    // region, and a run that acts only at home adds no dimension.
    expect(of(METRIC.retirementsPostponed)).toEqual([
      [0, undefined],
      [0, { Region: AP }],
      [0, { Region: EU }],
    ]);
    expect(points.filter((m) => m.dimensions !== undefined)).toHaveLength(8);
    expect(runMetrics(p, outcomes.slice(0, 1), 10).some((m) => m.dimensions !== undefined)).toBe(false);
  });

  it('report: each action row names its key’s region (the run’s own for home keys), in JSON and HTML', () => {
    const inv = home();
    const report = buildRunReport({
      runId: 'r1',
      where: { account: '123456789012', region: 'us-east-1' },
      trigger: 'schedule',
      dryRun: false,
      now: at(105),
      config,
      before: inv,
      plan: { ...p, overdue: [] },
      outcomes,
      after: inv,
    });
    expect(report.actions.map((a) => [a.keyId, a.region])).toEqual([
      ['k1', 'us-east-1'],
      ['eu1', EU],
      ['eu0', EU],
      ['ap1', AP],
    ]);
    const html = reportToHtml(report);
    expect(html).toContain(`<td>eu1</td><td>${EU}</td><td>done</td>`);
    expect(html).toContain(`<td>ap1</td><td>${AP}</td><td>failed</td><td>InternalServerError: down</td>`);
    const unknownWhere = buildRunReport({
      ...{
        runId: 'r2',
        trigger: 'schedule',
        dryRun: true,
        now: at(105),
        config,
        before: inv,
        after: inv,
        outcomes: [],
      },
      plan: { ...p, overdue: [] },
    });
    expect(unknownWhere.actions.map((a) => a.region)).toEqual([null, EU, EU, AP]);
    expect(reportToHtml({ ...unknownWhere, actions: [] })).toContain('No actions.');
    // The period report keeps the region of each retirement; a report written before rows named a
    // region counts as the run's own region's.
    const older = {
      ...report,
      runId: 'r0',
      generatedAt: at(104).toISOString(),
      actions: report.actions.slice(0, 1).map(({ region: _, ...row }) => row),
    } as unknown as typeof report;
    const period = buildPeriodReport([older, report], at(100), at(106));
    expect(period.credentials[0]?.retirements.map((e) => [e.runId, e.keyId, e.region])).toEqual([
      ['r0', 'k1', 'us-east-1'],
      ['r1', 'k1', 'us-east-1'],
      ['r1', 'eu1', EU],
      ['r1', 'eu0', EU],
      ['r1', 'ap1', AP],
    ]);
    expect(periodToCsv(period).split('\r\n')[0]).toContain(',keyId,region,outcome,');
    expect(periodToHtml(period)).toContain(`<td>eu1</td><td>${EU}</td><td>done</td>`);
  });
});
