import { describe, expect, it } from 'vitest';
import { METRIC, runMetrics } from '../../functions/core/metrics.js';
import { COUNTED, noCounts } from '../../functions/core/checks/registry.js';
import type { Action, Plan } from '../../functions/core/types.js';
import type { Outcome } from '../../functions/reconcile/apply.js';

const action = (kind: Action['kind']): Action =>
  ({
    kind,
    credential: 'c',
    keyId: 'k',
    secretId: 's',
    token: 't',
    currentKeyId: 'k',
    fromVersion: 'v',
    usagePlanId: 'p',
    scheduleDays: 30,
    reason: 'r',
  }) as Action;
const outcome = (kind: Action['kind'], status: Outcome['status']): Outcome => ({
  action: action(kind),
  status,
});

describe('run metrics', () => {
  it('counts outcomes by kind, stats from the plan, a heartbeat and the duration; no per-key metric', () => {
    const plan: Plan = {
      actions: [],
      findings: [{ kind: 'secret-missing', message: 'x' }],
      stats: {
        totalKeys: 2500,
        keyQuota: 10_000,
        managedKeys: 2000,
        unmanagedKeys: 500,
        credentials: 900,
        overdueKeys: 3,
        keysInGrace: 7,
        suspendedCredentials: 2,
        postponedRetirements: 5,
        checks: { ...noCounts(), unused: 11, orphaned: 13, lingering: 17, unmanaged: 19 },
        exemptions: 1,
      },
    };
    const outcomes = [
      outcome('rotate', 'done'),
      outcome('resume-rotation', 'done'),
      outcome('rotate', 'failed'),
      outcome('disable-key', 'done'),
      outcome('delete-key', 'done'),
      outcome('delete-key', 'failed'),
      outcome('adopt-key', 'done'),
      outcome('rotate', 'deferred'),
      // Started, not yet finished: in progress, not rotated (it counts once seen finished).
      outcome('rotate', 'started'),
      outcome('record-rotation', 'done'),
    ];
    const byName = Object.fromEntries(
      runMetrics(plan, outcomes, 1234.4, {
        waitedMs: 250.4,
        throttled: 3,
        shared: { share: 0.6, calls: 2040, waitedMs: 180_000.2 },
      }).map((m) => [m.name, m.value]),
    );
    expect(byName).toEqual({
      [METRIC.keysRotated]: 3,
      [METRIC.rotationFailures]: 1,
      [METRIC.keysDisabled]: 1,
      [METRIC.keysDeleted]: 1,
      [METRIC.actionFailures]: 2,
      [METRIC.findings]: 1,
      [METRIC.overdueKeys]: 3,
      [METRIC.keysInGrace]: 7,
      [METRIC.suspendedCredentials]: 2,
      [METRIC.retirementsPostponed]: 5,
      // Published by the checks that count (checks/*.ts): the names dashboards and alarms use.
      ...Object.fromEntries(COUNTED.map((c) => [c.metric, 0])),
      UnusedKeys: 11,
      OrphanedKeys: 13,
      LingeringKeys: 17,
      [METRIC.keysAdopted]: 1,
      [METRIC.managedKeys]: 2000,
      [METRIC.unmanagedKeys]: 500,
      [METRIC.totalKeys]: 2500,
      [METRIC.quotaUsedPercent]: 25,
      [METRIC.deferredActions]: 1,
      [METRIC.rotationsInProgress]: 1,
      [METRIC.pacingWait]: 250,
      [METRIC.throttledCalls]: 3,
      // The share of API Gateway's shared budget, what the run put on it (its rotations' calls too), the wait.
      [METRIC.apiGatewayShare]: 60,
      [METRIC.apiGatewaySharedCalls]: 2040,
      [METRIC.apiGatewaySharedWait]: 180_000,
      [METRIC.heartbeat]: 1,
      [METRIC.runDuration]: 1234,
    });
  });

  it('the key quota used is measured against the configured quota', () => {
    const stats = { ...emptyStats(), totalKeys: 2500, keyQuota: 5000 };
    const points = runMetrics({ actions: [], findings: [], stats }, [], 1);
    expect(points.find((p) => p.name === METRIC.quotaUsedPercent)?.value).toBe(50);
  });
});

function emptyStats() {
  return {
    totalKeys: 0,
    keyQuota: 10_000,
    managedKeys: 0,
    unmanagedKeys: 0,
    credentials: 0,
    overdueKeys: 0,
    postponedRetirements: 0,
    keysInGrace: 0,
    suspendedCredentials: 0,
    checks: noCounts(),
    exemptions: 0,
  };
}
