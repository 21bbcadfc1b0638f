import { describe, expect, it } from 'vitest';
import { plan } from '../../functions/core/plan.js';
import { buildRunReport, REPORT_SCHEMA, type OutcomeLike } from '../../functions/core/report.js';
import type { Inventory } from '../../functions/core/types.js';
import { reportToCsv } from '../../functions/report/csv.js';
import { reportToHtml } from '../../functions/report/html.js';
import { at, config, inventory, key, secret } from './fixtures.js';

const CUR = ['AWSCURRENT'];

/** Day 104 of credential c (30d... no, 90d default): k1 superseded by k2 on day 90, grace over; k0 disabled, window over. */
function before(): Inventory {
  return inventory(
    [
      key({
        id: 'k0',
        credential: 'c',
        generation: 1,
        version: 'v0',
        activatedDay: 0,
        enabled: false,
        disabledDay: 30,
      }),
      key({ id: 'k1', credential: 'c', generation: 2, version: 'v1', activatedDay: 16 }),
      key({
        id: 'k2',
        credential: 'c',
        generation: 3,
        version: 'v2',
        activatedDay: 90,
        plans: ['plan-a', 'plan-b'],
      }),
      key({ id: 'd1', credential: 'd', generation: 1, version: 'w1', activatedDay: 0, policy: '30d' }),
      key({ id: 'u1' }),
    ],
    [
      secret('c', { v0: [], v1: ['AWSPREVIOUS'], v2: CUR }),
      secret('d', { w1: CUR, w2: ['AWSPENDING'] }, { rotationPeriodDays: 37 }),
    ],
  );
}

function after(): Inventory {
  const inv = before();
  inv.keys = inv.keys.filter((k) => k.id !== 'k0');
  const k1 = inv.keys.find((k) => k.id === 'k1')!;
  k1.enabled = false;
  k1.tags['rotation:disabled-at'] = at(104).toISOString();
  return inv;
}

describe('run report', () => {
  const p = plan(before(), config, at(104));
  const outcomes: OutcomeLike[] = p.actions.map((action) =>
    action.kind === 'resume-rotation'
      ? {
          action,
          status: 'failed',
          error: { name: 'RotationStepError', message: 'canary refused the new key' },
        }
      : { action, status: 'done' },
  );
  const report = buildRunReport({
    runId: 'run-1',
    trigger: 'schedule',
    dryRun: false,
    now: at(104),
    config,
    before: before(),
    plan: p,
    outcomes,
    after: after(),
  });

  it('has a versioned schema, the run, and totals that match the rows', () => {
    expect(report).toMatchObject({
      schema: REPORT_SCHEMA,
      runId: 'run-1',
      trigger: 'schedule',
      dryRun: false,
    });
    expect(report.totals).toMatchObject({
      keys: 4,
      managedKeys: 3,
      unmanagedKeys: 1,
      credentials: 2,
      rotated: 0,
      disabled: 1,
      deleted: 1,
      failures: 1,
    });
    expect(report.keys.map((k) => `${k.keyId}:${k.state}`)).toEqual([
      'k0:deleted',
      'k1:disabled',
      'k2:active',
      'd1:active',
      'u1:unmanaged',
    ]);
  });

  it('one row per key with its evidence: plans, secret versions, policy, times, action and outcome', () => {
    const byId = Object.fromEntries(report.keys.map((k) => [k.keyId, k]));
    expect(byId.k2).toMatchObject({
      credential: 'c',
      generation: 3,
      usagePlans: ['plan-a', 'plan-b'],
      currentVersion: 'v2',
      previousVersion: 'v1',
      policy: '90d',
      periodDays: 90,
      activatedAt: at(90).toISOString(),
      daysSinceRotation: 14,
      compliant: true,
      action: null,
    });
    expect(byId.k1).toMatchObject({
      state: 'disabled',
      retiringAt: at(90).toISOString(),
      disabledAt: at(104).toISOString(),
      action: 'disable-key',
      outcome: 'done',
      trigger: 'schedule',
    });
    expect(byId.k0).toMatchObject({
      state: 'deleted',
      deletedAt: at(104).toISOString(),
      action: 'delete-key',
      outcome: 'done',
      usagePlans: [],
    });
    expect(byId.d1).toMatchObject({
      state: 'active',
      compliant: false,
      action: 'resume-rotation',
      outcome: 'failed',
      error: 'RotationStepError: canary refused the new key',
    });
    expect(byId.u1).toMatchObject({ state: 'unmanaged', credential: null, compliant: false });
  });

  it('CSV: one row per key, same values as the JSON, safe for spreadsheets', () => {
    const csv = reportToCsv(report);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(report.keys.length + 1);
    expect(lines[0]?.startsWith('runId,keyId,keyName,credential,customerId,generation,state')).toBe(true);
    const header = lines[0]!.split(',');
    const k2 = lines.find((l) => l.includes(',k2,'))!.split(',');
    expect(k2[header.indexOf('usagePlans')]).toBe('plan-a;plan-b');
    expect(k2[header.indexOf('compliant')]).toBe('true');
    const d1 = lines.find((l) => l.includes(',d1,'))!;
    expect(d1).toContain('RotationStepError: canary refused the new key');
  });

  it('CSV quotes commas and neutralises formulas', () => {
    const r = {
      ...report,
      keys: [{ ...report.keys[0]!, keyName: '=HYPERLINK("x"),y', reason: 'a "quoted" reason' }],
    };
    const row = reportToCsv(r).split('\r\n')[1]!;
    expect(row).toContain('"\'=HYPERLINK(""x""),y"');
    expect(row).toContain('"a ""quoted"" reason"');
  });

  it('HTML: summary numbers from the totals, findings, a chart, every key, no script', () => {
    const html = reportToHtml(report);
    expect(html).toContain('<span class="n" data-total="keys">4</span>');
    expect(html).toContain('<span class="n" data-total="failures">1</span>');
    expect(html).toContain('<svg role="img"');
    for (const k of report.keys) expect(html).toContain(`<td>${k.keyId}</td>`);
    expect(html).not.toMatch(/<script|src="http|href="http/);
  });

  it('HTML escapes what keys are named', () => {
    const r = { ...report, keys: [{ ...report.keys[0]!, keyName: '<img src=x onerror=alert(1)>' }] };
    expect(reportToHtml(r)).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('a dry run reports actions as planned, and no active key: a chart placeholder', () => {
    const dry = buildRunReport({
      runId: 'run-2',
      trigger: 'manual',
      dryRun: true,
      now: at(104),
      config,
      before: before(),
      plan: p,
      outcomes: [],
      after: before(),
    });
    expect(new Set(dry.actions.map((a) => a.outcome))).toEqual(new Set(['planned']));
    expect(dry.totals.failures).toBe(0);
    const none = { ...dry, keys: dry.keys.filter((k) => k.state !== 'active') };
    expect(reportToHtml(none)).toContain('No active managed keys.');
  });

  it('a rotation is attributed to the key it replaces; unknown policy and secret-less keys still get rows', () => {
    const inv = inventory(
      [
        key({ id: 'r1', credential: 'r', generation: 1, version: 'x1', activatedDay: 0 }),
        key({ id: 'q1', credential: 'q', generation: 1, version: 'y1', activatedDay: 0, policy: 'weekly' }),
        key({ id: 'n1', credential: 'n', generation: 1, version: 'z1', activatedDay: 0 }),
      ],
      [secret('r', { x1: CUR }), secret('q', { y1: CUR })],
    );
    inv.keys.push({ ...key({ id: 'gone' }), createdDate: undefined });
    const pr = plan(inv, config, at(95));
    const afterInv = { ...inv, keys: inv.keys.filter((k) => k.id !== 'gone') };
    const r = buildRunReport({
      runId: 'run-3',
      trigger: 'manual',
      dryRun: false,
      now: at(95),
      config,
      before: inv,
      plan: pr,
      outcomes: pr.actions.map((action) => ({ action, status: 'done' as const, detail: 'v-new' })),
      after: afterInv,
    });
    const byId = Object.fromEntries(r.keys.map((k) => [k.keyId, k]));
    expect(byId.r1).toMatchObject({ action: 'rotate', outcome: 'done', trigger: 'manual' });
    expect(byId.q1).toMatchObject({ policy: 'weekly', periodDays: null, compliant: false });
    expect(byId.n1).toMatchObject({ secretArn: null, currentVersion: null, state: 'retiring' });
    expect(byId.gone).toMatchObject({ state: 'deleted', createdAt: null });
    expect(r.actions.find((a) => a.kind === 'rotate')?.detail).toBe('v-new');
  });
});
