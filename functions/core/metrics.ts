import { overdueAfterRun } from './after-run.js';
import { COUNTED } from './checks/registry.js';
import { ROTATION_KINDS, type Outcome, type Plan } from './types.js';

/**
 * Metric names, shared with the alarms in infra/. Never one metric per key (cost). Each counted hygiene
 * check adds its own (`count.metric` in checks/).
 */
export const METRIC = {
  keysRotated: 'KeysRotated',
  rotationFailures: 'RotationFailures',
  keysDisabled: 'KeysDisabled',
  keysDeleted: 'KeysDeleted',
  actionFailures: 'ActionFailures',
  findings: 'Findings',
  overdueKeys: 'OverdueKeys',
  keysInGrace: 'KeysInGrace',
  /** Credentials whose consumer is cut off (keyrot suspend, or a current key disabled by hand). */
  suspendedCredentials: 'SuspendedCredentials',
  /** Superseded keys past their grace still taking requests: their retirement waits (at most retirementDelayDays). */
  retirementsPostponed: 'RetirementsPostponed',
  keysAdopted: 'KeysAdopted',
  managedKeys: 'ManagedKeys',
  unmanagedKeys: 'UnmanagedKeys',
  totalKeys: 'TotalKeys',
  quotaUsedPercent: 'KeyQuotaUsedPercent',
  deferredActions: 'DeferredActions',
  rotationsInProgress: 'RotationsInProgress',
  pacingWait: 'PacingWait',
  /** The configured share of API Gateway's shared 10 requests/s (pacing.apiGatewayShare). */
  apiGatewayShare: 'ApiGatewayShare',
  /** Calls on that budget: the run's own and those reserved for the rotations it started. */
  apiGatewaySharedCalls: 'ApiGatewaySharedCalls',
  /** Time the run waited for room in its share (its own calls, and admitting rotations). */
  apiGatewaySharedWait: 'ApiGatewaySharedWait',
  throttledCalls: 'ThrottledCalls',
  heartbeat: 'RunCompleted',
  runDuration: 'RunDuration',
} as const;

export interface MetricPoint {
  name: string;
  value: number;
  unit: 'Count' | 'Percent' | 'Milliseconds';
  /** Absent: the run's total, which the alarms watch. */
  dimensions?: Record<string, string> | undefined;
}

/** The dimension of a count of actions on another region's keys (multi-region credentials). */
export const REGION_DIMENSION = 'Region';

/** How the run paced itself (commons/pacing.ts keeps the figures). */
export interface RunPacing {
  waitedMs: number;
  throttled: number;
  /** API Gateway's shared budget: the configured share, the calls on it, the time waited for it. */
  shared?: { share: number; calls: number; waitedMs: number };
}

function count(outcomes: Outcome[], kinds: string[], status: Outcome['status']): number {
  return outcomes.filter((o) => kinds.includes(o.action.kind) && o.status === status).length;
}

/** The run's metrics, from its plan and what applying it did. */
export function runMetrics(
  plan: Plan,
  outcomes: Outcome[],
  durationMs: number,
  pacing: RunPacing = { waitedMs: 0, throttled: 0 },
): MetricPoint[] {
  const rotations = [...ROTATION_KINDS];
  const points: [string, number, MetricPoint['unit']][] = [
    [METRIC.keysRotated, count(outcomes, rotations, 'done'), 'Count'],
    [METRIC.rotationFailures, count(outcomes, rotations, 'failed'), 'Count'],
    [METRIC.keysDisabled, count(outcomes, ['disable-key'], 'done'), 'Count'],
    [METRIC.keysDeleted, count(outcomes, ['delete-key'], 'done'), 'Count'],
    [METRIC.actionFailures, outcomes.filter((o) => o.status === 'failed').length, 'Count'],
    [METRIC.findings, plan.findings.length, 'Count'],
    // As the run left the account: a key it rotated is no longer overdue (the report says the same).
    [METRIC.overdueKeys, overdueAfterRun(plan, outcomes), 'Count'],
    [METRIC.keysInGrace, plan.stats.keysInGrace, 'Count'],
    [METRIC.suspendedCredentials, plan.stats.suspendedCredentials, 'Count'],
    [METRIC.retirementsPostponed, plan.stats.postponedRetirements, 'Count'],
    ...COUNTED.map((c): [string, number, MetricPoint['unit']] => [
      c.metric,
      plan.stats.checks[c.name],
      'Count',
    ]),
    [METRIC.keysAdopted, count(outcomes, ['adopt-key'], 'done'), 'Count'],
    [METRIC.managedKeys, plan.stats.managedKeys, 'Count'],
    [METRIC.unmanagedKeys, plan.stats.unmanagedKeys, 'Count'],
    [METRIC.totalKeys, plan.stats.totalKeys, 'Count'],
    [
      METRIC.quotaUsedPercent,
      Math.round((plan.stats.totalKeys / plan.stats.keyQuota) * 10_000) / 100,
      'Percent',
    ],
    [METRIC.deferredActions, outcomes.filter((o) => o.status === 'deferred').length, 'Count'],
    [METRIC.rotationsInProgress, count(outcomes, rotations, 'started'), 'Count'],
    [METRIC.pacingWait, Math.round(pacing.waitedMs), 'Milliseconds'],
    [METRIC.throttledCalls, pacing.throttled, 'Count'],
    ...(pacing.shared === undefined
      ? []
      : ([
          [METRIC.apiGatewayShare, Math.round(pacing.shared.share * 100), 'Percent'],
          [METRIC.apiGatewaySharedCalls, pacing.shared.calls, 'Count'],
          [METRIC.apiGatewaySharedWait, Math.round(pacing.shared.waitedMs), 'Milliseconds'],
        ] as [string, number, MetricPoint['unit']][])),
    [METRIC.heartbeat, 1, 'Count'],
    [METRIC.runDuration, Math.round(durationMs), 'Milliseconds'],
  ];
  return [
    ...points.map(([name, value, unit]) => ({ name, value, unit })),
    ...perRegion(outcomes, plan.stats.postponedByRegion ?? {}),
  ];
}

/**
 * Actions on another region's keys, and retirements postponed by requests in another region, counted
 * again per region (`Region`): the totals above already include them, so the alarms on the totals see
 * every region. One point per region and metric; a region appears in the runs that acted there or
 * whose requests held a retirement.
 */
function perRegion(outcomes: Outcome[], postponed: Record<string, number>): MetricPoint[] {
  const regions = new Set<string>(Object.keys(postponed));
  for (const { action } of outcomes)
    if ('region' in action && action.region !== undefined) regions.add(action.region);
  return [...regions].sort().flatMap((region) => {
    const here = outcomes.filter((o) => 'region' in o.action && o.action.region === region);
    const dimensions = { [REGION_DIMENSION]: region };
    return [
      { name: METRIC.keysDisabled, value: count(here, ['disable-key'], 'done'), unit: 'Count', dimensions },
      { name: METRIC.keysDeleted, value: count(here, ['delete-key'], 'done'), unit: 'Count', dimensions },
      {
        name: METRIC.actionFailures,
        value: here.filter((o) => o.status === 'failed').length,
        unit: 'Count',
        dimensions,
      },
      { name: METRIC.retirementsPostponed, value: postponed[region] ?? 0, unit: 'Count', dimensions },
    ] satisfies MetricPoint[];
  });
}
