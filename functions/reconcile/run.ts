import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClients } from '../commons/clients.js';
import { awsEffects } from './effects.js';
import { readInventory } from '../aws/inventory.js';
import { whereabouts } from '../aws/account.js';
import { publishEvents } from '../aws/events-publisher.js';
import { publishMetrics } from '../aws/metrics-publisher.js';
import { publishSecurityFindings, type SecurityHubOutcome } from '../aws/security-hub.js';
import { runEvents } from '../core/events.js';
import type { Config } from '../core/config.js';
import { runMetrics, type MetricPoint, type RunPacing } from '../core/metrics.js';
import { buildRunReport, type RunReport } from '../core/report.js';
import { plan as makePlan } from '../core/plan.js';
import { carryPlanMemberships } from '../core/after-run.js';
import type { Action, Inventory, Plan, Trigger } from '../core/types.js';
import type { RotationDriver } from '../rotation/starter.js';
import type { RegionalApis } from '../rotation/regions.js';
import { SHARED_BUCKET, snapshotStats, statsSince, type Pacer, type PacingStats } from '../commons/pacing.js';
import { apply, orderActions, type Outcome } from './apply.js';
import { s3LeaseStore } from '../aws/run-lease-store.js';
import { acquireRunLease } from './hold-lease.js';
import { otherRegionsAfter, planOtherRegions, withOtherRegions } from './regions.js';
import { withSharedValues } from './region-values.js';
import { adoptionOrder } from '../core/region-adoption.js';

export interface RunOptions {
  clients: AwsClients;
  config: Config;
  now: Date;
  log: Logger;
  /** How rotations run: RotateSecret and the deployed rotation function, or in-process (tests). */
  rotation: RotationDriver;
  /** How long a run watches a rotation it started before leaving it to Secrets Manager (default 5 min). */
  rotationWaitMs?: number;
  /** A rotation pending longer than this is resumed by invoking the rotation function (default 30 min). */
  resumeStuckAfterMs?: number;
  /** Plan only: no write call and no metrics. */
  dryRun?: boolean;
  trigger?: Trigger;
  runId?: string;
  /** Milliseconds left before the run must end (the Lambda's remaining time). */
  remainingMs?: () => number;
  /** Stop starting new actions when less than this is left; default 2 minutes. */
  reserveMs?: number;
  pacer?: Pacer;
  /** Actions of one phase run at once, at most; the pacer keeps them under the quotas. */
  concurrency?: number;
  /** Called before each action (the CLI shows it on a terminal). */
  onProgress?: (done: number, total: number, action: Action) => void;
  /** Wall clock for the run's duration; the simulated `now` is not one. */
  clock?: () => number;
  /**
   * The actions to apply instead of the plan's (on-call verbs: a rollback, one credential's rotation).
   * The plan's findings and figures stay, so the run's report shows the account as it is.
   */
  actions?: (plan: Plan, inventory: Inventory) => Action[] | Promise<Action[]>;
  /** The account as just read (an emergency rotation read it to select credentials); default: read it. */
  inventory?: Inventory;
  /** Who runs it, as the run lease names it to a run that waits (default: keyrot). */
  holder?: string;
  /** API Gateway of the other regions multi-region credentials live in (docs/multi-region.md). */
  regionalApis?: RegionalApis | undefined;
  /**
   * The run's region and every region in the order all stacks agree on (core/region-adoption.ts), set
   * by reconcile from replicaRegions as configured, before the run's own region is taken out of them.
   */
  regionOrder?: { region: string; order: string[] } | undefined;
}

export interface RunResult {
  runId: string;
  trigger: Trigger;
  now: Date;
  dryRun: boolean;
  inventory: Inventory;
  plan: Plan;
  outcomes: Outcome[];
  metrics: MetricPoint[];
  report: RunReport;
  /** The deadline stopped the run before every action started: what is left needs another run. */
  cutShort: boolean;
  /** What the run published to Security Hub (config.securityHub.enabled, not on dry runs). */
  securityHub?: SecurityHubOutcome | undefined;
}

export const DEFAULT_ROTATION_WAIT_MS = 5 * 60_000;
export const DEFAULT_RESUME_STUCK_AFTER_MS = 30 * 60_000;
/** A run starts no new action when less than this is left of its deadline. */
export const DEFAULT_RESERVE_MS = 120_000;

/**
 * The run's pacing figures for its metrics: API Gateway's shared budget with the configured share.
 * Only this run's: the pacer outlives it in a warm container.
 */
function runPacing(options: RunOptions, before: PacingStats | undefined): RunPacing | undefined {
  if (options.pacer === undefined || before === undefined) return undefined;
  const stats = statsSince(before, options.pacer.stats);
  const shared = stats.byBucket[SHARED_BUCKET] ?? { calls: 0, reserved: 0, waitedMs: 0 };
  return {
    waitedMs: stats.waitedMs,
    throttled: stats.throttled,
    shared: {
      share: options.config.pacing.apiGatewayShare,
      calls: shared.calls + shared.reserved,
      waitedMs: shared.waitedMs,
    },
  };
}

/**
 * One reconcile run: observe, plan, apply, report. The same for the schedule, the CLI and tests. With
 * a lease bucket, a run that writes holds the run lease from before it reads the account until it is
 * done: one run at a time spends API Gateway's share (a dry run only reads, and takes no lease).
 */
export async function reconcile(given: RunOptions): Promise<RunResult> {
  const options = await withoutOwnRegion(given);
  const runId = options.runId ?? randomUUID();
  const bucket = options.config.leaseBucket;
  if (options.dryRun === true || bucket === undefined) return runOnce(options, runId, () => false);
  const reserve = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const lease = await acquireRunLease(s3LeaseStore(options.clients.s3, bucket), {
    runId,
    holder: options.holder ?? 'keyrot',
    runNow: options.now,
    waitMs: Math.min(
      options.config.pacing.leaseWaitSeconds * 1000,
      options.remainingMs === undefined ? Infinity : Math.max(0, options.remainingMs() - reserve),
    ),
    log: options.log,
  });
  try {
    // An inventory read before another run finished is stale: read the account again.
    return await runOnce(lease.waited ? { ...options, inventory: undefined } : options, runId, lease.lost);
  } finally {
    await lease.release();
  }
}

/**
 * One configuration may serve every region (a StackSet deploys the same one everywhere): the run's own
 * region is never a replica region of itself.
 */
async function withoutOwnRegion(options: RunOptions): Promise<RunOptions> {
  const { replicaRegions } = options.config;
  if (replicaRegions.length === 0) return options;
  const own = await options.clients.apigw.config.region();
  const regionOrder = { region: own, order: adoptionOrder(own, replicaRegions) };
  if (!replicaRegions.includes(own)) return { ...options, regionOrder };
  return {
    ...options,
    regionOrder,
    config: { ...options.config, replicaRegions: replicaRegions.filter((r) => r !== own) },
  };
}

/**
 * The other regions as the plan needs them: their keys and usage (multi-region credentials), and which
 * unmanaged keys here have their value there too (one region's stack adopts them all).
 */
async function withRegions(home: Inventory, options: RunOptions): Promise<Inventory> {
  const read = await withOtherRegions(home, options.config, options.regionalApis, options.now, options.log);
  if (options.regionOrder === undefined) return read;
  const clients = { home: options.clients.apigw, apis: options.regionalApis };
  return withSharedValues(read, options.config, clients, options.regionOrder, options.log);
}

async function runOnce(options: RunOptions, runId: string, leaseLost: () => boolean): Promise<RunResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const trigger = options.trigger ?? 'schedule';
  const dryRun = options.dryRun ?? false;
  const log = options.log;
  log.appendKeys({ runId });

  const pacingBefore = options.pacer === undefined ? undefined : snapshotStats(options.pacer.stats);
  // Read beside the inventory; its problem is told only if the inventory could be read (a missing region
  // or credentials is the inventory's error to explain, once).
  const whereProblems: string[] = [];
  const [homeInventory, where] = await Promise.all([
    options.inventory ?? readInventory(options.clients, options.config, options.now),
    whereabouts(options.clients.sts, (problem) => whereProblems.push(problem)),
  ]);
  for (const problem of whereProblems) log.warn(problem);
  // Multi-region credentials: their keys and usage in the other regions count in the plan (on-call
  // verbs act on one credential's home keys only, and read no other region).
  const inventory = options.actions === undefined ? await withRegions(homeInventory, options) : homeInventory;
  const plan = makePlan(inventory, options.config, options.now);
  if (options.actions !== undefined) plan.actions = await options.actions(plan, inventory);
  // Their keys elsewhere follow the home region's retirements.
  else planOtherRegions(plan, inventory, options.config);
  plan.actions = orderActions(plan.actions);
  log.info('planned', {
    now: options.now.toISOString(),
    actions: plan.actions.length,
    findings: plan.findings.length,
    ...plan.stats,
  });
  // Findings are in the plan, the report and the metrics; the log keeps them for Logs Insights.
  for (const finding of plan.findings) log.info('finding', { finding });
  // Deferred by the deadline, not by another run's rotation (DeferredError): only that needs a new run.
  let cutShort = false;
  const result = (outcomes: Outcome[], metrics: MetricPoint[], after: Inventory): RunResult => ({
    runId,
    trigger,
    now: options.now,
    dryRun,
    inventory,
    plan,
    outcomes,
    metrics,
    cutShort,
    report: buildRunReport({
      runId,
      where,
      trigger,
      dryRun,
      now: options.now,
      config: options.config,
      before: inventory,
      plan,
      outcomes,
      after,
    }),
  });
  if (dryRun) return result([], [], inventory);

  const reserve = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const remaining = options.remainingMs;
  const waitMs = options.rotationWaitMs ?? DEFAULT_ROTATION_WAIT_MS;
  const effects = awsEffects({
    apigw: options.clients.apigw,
    secrets: options.clients.secrets,
    config: options.config,
    now: options.now,
    rotation: options.rotation,
    // Never watch past the run's own deadline: what is unfinished then is recorded by a later run.
    rotationWaitMs: () => (remaining === undefined ? waitMs : Math.min(waitMs, remaining() - reserve)),
    resumeStuckAfterMs: options.resumeStuckAfterMs ?? DEFAULT_RESUME_STUCK_AFTER_MS,
    clock,
    admit: options.pacer === undefined ? undefined : (calls) => options.pacer!.reserve(calls),
    regionalApis: options.regionalApis,
  });
  const outcomes = await apply(
    plan.actions,
    effects,
    log,
    options.onProgress,
    // The deadline near, or the run lease lost: what is left waits for the next run.
    () => {
      if (!leaseLost() && (remaining === undefined || remaining() >= reserve)) return false;
      cutShort = true;
      return true;
    },
    { actions: options.concurrency ?? 4, rotations: options.config.pacing.rotationsInFlight },
  );
  const deferred = outcomes.filter((o) => o.status === 'deferred').length;
  if (cutShort)
    log.warn(
      leaseLost()
        ? 'run lease lost: actions deferred to the next run'
        : 'deadline near: actions deferred to the next run',
      { deferred },
    );
  const metrics = runMetrics(plan, outcomes, clock() - started, runPacing(options, pacingBefore));
  await publishMetrics(options.clients.cloudwatch, options.config.metricNamespace, metrics, options.now);
  if (options.config.eventBusName !== null) {
    const events = runEvents({ runId, trigger, now: options.now }, outcomes, plan.findings);
    await publishEvents(options.clients.eventbridge, options.config.eventBusName, events, options.now, log);
  }
  log.info('run complete', {
    done: outcomes.filter((o) => o.status === 'done').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
  });
  // The report shows the account as the run left it: observed again when anything was written, the
  // plans' keys carried over from what the run read and wrote (not one more call per plan).
  const wrote = outcomes.filter((o) => o.status === 'done' || o.status === 'started').map((o) => o.action);
  const after = outcomes.some((o) => o.status === 'done')
    ? {
        ...carryPlanMemberships(
          inventory,
          await readInventory(options.clients, options.config, options.now, {
            hygiene: false,
            planKeys: false,
          }),
          wrote,
          options.config.tagPrefix,
        ),
        otherRegions: await otherRegionsAfter(inventory, options.regionalApis, log),
      }
    : inventory;
  const done = result(outcomes, metrics, after);
  if (options.config.securityHub.enabled) {
    done.securityHub = await publishSecurityFindings(
      options.clients.securityhub,
      done.report,
      options.now,
      options.config.securityHub.runbookBaseUrl,
    );
    // Every problem is a warning of its own (the finding it names), never a failed run.
    for (const problem of done.securityHub.problems) log.warn('security hub', { problem });
    log.info('security hub findings published', {
      active: done.securityHub.active,
      archived: done.securityHub.archived,
    });
  }
  return done;
}
