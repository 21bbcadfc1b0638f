import type { Context, ScheduledEvent } from 'aws-lambda';
import { createClients } from './commons/clients.js';
import { keyrotPacer } from './commons/pacing.js';
import { loadConfig } from './commons/load-config.js';
import { createLogger } from './commons/logger.js';
import { putRunReport } from './aws/report-bucket.js';
import { reconcile } from './reconcile/run.js';
import { secretsManagerDriver } from './rotation/starter.js';

const log = createLogger();
// One pacer per container: the quotas are per account, whatever the client.
const setUp = loadConfig().then((config) => {
  const pacer = keyrotPacer(config.pacing);
  return { config, pacer, clients: createClients({ pacer }) };
});

/** The scheduled reconciler: observe, plan, apply, report. Re-runs converge, so retries are safe. */
export async function handler(event: Partial<ScheduledEvent> & { dryRun?: boolean }, context?: Context) {
  if (context !== undefined) log.addContext(context);
  const { config, pacer, clients } = await setUp;
  const result = await reconcile({
    clients,
    config,
    now: new Date(),
    log,
    rotation: secretsManagerDriver(clients.secrets, clients.lambda, config.rotationLambdaArn),
    dryRun: event.dryRun === true,
    pacer,
    remainingMs: context === undefined ? undefined : () => context.getRemainingTimeInMillis(),
    trigger:
      event['detail-type'] === 'Scheduled Event' || event.source === 'aws.scheduler' ? 'schedule' : 'manual',
  });
  const bucket = process.env.REPORT_BUCKET;
  if (bucket !== undefined && bucket !== '' && !result.dryRun) {
    const stored = await putRunReport(clients.s3, bucket, result.report);
    log.info('report stored', { objects: stored });
  }
  const count = (status: string) => result.outcomes.filter((o) => o.status === status).length;
  return {
    runId: result.runId,
    actions: result.plan.actions.length,
    done: count('done'),
    started: count('started'),
    deferred: count('deferred'),
    failed: count('failed'),
    findings: result.plan.findings.length,
  };
}
