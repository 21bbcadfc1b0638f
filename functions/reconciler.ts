import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { Trigger } from './core/types.js';
import { createClients } from './commons/clients.js';
import { regionalApiGateways } from './commons/rotation-clients.js';
import { keyrotPacer } from './commons/pacing.js';
import { functionSetUp } from './commons/function-setup.js';
import { createLogger } from './commons/logger.js';
import { putRunReport } from './aws/report-bucket.js';
import { publishMetrics } from './aws/metrics-publisher.js';
import {
  answerCloudFormation,
  isCustomResourceEvent,
  type CustomResourceEvent,
} from './aws/cloudformation-response.js';
import { errorMessage } from './commons/errors.js';
import { METRIC } from './core/metrics.js';
import { reconcile } from './reconcile/run.js';
import { RunLeaseBusyError } from './reconcile/hold-lease.js';
import { secretsManagerDriver } from './rotation/starter.js';

const log = createLogger();
// One pacer per container: the quotas are per account, whatever the client.
const setUp = functionSetUp(log, (config) => {
  const pacer = keyrotPacer(config.pacing);
  return {
    config,
    pacer,
    clients: createClients({ pacer }),
    regionalApis: regionalApiGateways({}, () => keyrotPacer(config.pacing)),
  };
});

/**
 * Invocations one run may chain: a wave the deadline cuts short (a mass emergency rotation of
 * thousands of keys) goes on in a new invocation, at most this many times, then waits for the schedule.
 */
export const MAX_CONTINUATIONS = 12;

export type ReconcilerEvent = Partial<ScheduledEvent> & {
  dryRun?: boolean;
  /** Set on an invocation that carries on a run its deadline cut short: how many came before. */
  continuation?: number;
  trigger?: Trigger;
};

/**
 * The stack's custom resource (Custom::KeyrotHeartbeatWindow): when the stack is created, the function
 * proves it can start (its configuration) and puts a RunCompleted datapoint of 0, so ReconcilerRunMissing
 * (which counts datapoints) gives the first scheduled run a full window. A configuration that can't load
 * fails the deployment, with the reason, instead of the first run a day later.
 */
async function deployment(event: CustomResourceEvent): Promise<{ deployment: string }> {
  const physicalResourceId = event.PhysicalResourceId ?? `keyrot-heartbeat-window-${event.RequestId}`;
  try {
    if (event.RequestType === 'Create') {
      const { config, clients } = await setUp();
      await publishMetrics(
        clients.cloudwatch,
        config.metricNamespace,
        [{ name: METRIC.heartbeat, value: 0, unit: 'Count' }],
        new Date(),
      );
    }
    await answerCloudFormation(event, { status: 'SUCCESS', physicalResourceId });
  } catch (error) {
    log.error('stack deployment check failed', { error: errorMessage(error) });
    await answerCloudFormation(event, { status: 'FAILED', reason: errorMessage(error), physicalResourceId });
  }
  return { deployment: event.RequestType };
}

/** The scheduled reconciler: observe, plan, apply, report. Re-runs converge, so retries are safe. */
export async function handler(event: ReconcilerEvent, context?: Context) {
  if (context !== undefined) log.addContext(context);
  if (isCustomResourceEvent(event)) return deployment(event);
  const { config, pacer, clients, regionalApis } = await setUp();
  const trigger: Trigger =
    event.trigger ??
    (event['detail-type'] === 'Scheduled Event' || event.source === 'aws.scheduler' ? 'schedule' : 'manual');
  let result;
  try {
    result = await reconcile({
      clients,
      config,
      now: new Date(),
      log,
      rotation: secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn),
      dryRun: event.dryRun === true,
      pacer,
      regionalApis,
      remainingMs: context === undefined ? undefined : () => context.getRemainingTimeInMillis(),
      trigger,
      holder: `reconciler ${context?.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? ''}`.trim(),
    });
  } catch (error) {
    // Another run spent the share all along: not a failure to retry (a retry would wait again, and the
    // dead-letter queue would page for a run that is still going). The next schedule carries on.
    if (!(error instanceof RunLeaseBusyError)) throw error;
    log.warn('run not started: another run holds the run lease', { error: error.message });
    return { busy: true, continued: false };
  }
  const bucket = process.env.REPORT_BUCKET;
  if (bucket !== undefined && bucket !== '' && !result.dryRun) {
    const stored = await putRunReport(clients.s3, bucket, result.report);
    log.info('report stored', { objects: stored });
  }
  const count = (status: string) => result.outcomes.filter((o) => o.status === status).length;
  // The deadline stopped the run: the next invocation carries on (asynchronously: this one ends). An
  // action deferred because another run is rotating the credential is not a reason to go on.
  const continuation = (event.continuation ?? 0) + 1;
  const continued =
    result.cutShort && context !== undefined && !result.dryRun && continuation <= MAX_CONTINUATIONS;
  if (continued) {
    await clients.lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ continuation, trigger })),
      }),
    );
    log.info('run continues in a new invocation', { deferred: count('deferred'), continuation });
  }
  return {
    runId: result.runId,
    actions: result.plan.actions.length,
    done: count('done'),
    started: count('started'),
    deferred: count('deferred'),
    failed: count('failed'),
    findings: result.plan.findings.length,
    continued,
  };
}
