import type { Context, SecretsManagerRotationEvent } from 'aws-lambda';
import { createRotationClients, regionalApiGateways } from './commons/rotation-clients.js';
import { keyrotPacer } from './commons/pacing.js';
import { functionSetUp } from './commons/function-setup.js';
import { createLogger } from './commons/logger.js';
import { canariesOf } from './rotation/canary.js';
import { runRotationStep, type RotationStep } from './rotation/steps.js';

const log = createLogger();
// Once per container: its clients pace to this container's share of the account's quotas.
const setUp = functionSetUp(log, (config) => ({
  config,
  clients: createRotationClients({ pacer: keyrotPacer(config.pacing) }),
  regionalApis: regionalApiGateways({}, () => keyrotPacer(config.pacing)),
}));

/** The Secrets Manager rotation function: one step of the rotation contract per invocation. */
export async function handler(event: SecretsManagerRotationEvent, context?: Context): Promise<void> {
  if (context !== undefined) log.addContext(context);
  const { config, clients, regionalApis } = await setUp();
  await runRotationStep(
    {
      Step: event.Step as RotationStep,
      SecretId: event.SecretId,
      ClientRequestToken: event.ClientRequestToken,
    },
    {
      apigw: clients.apigw,
      secrets: clients.secrets,
      config,
      now: () => new Date(),
      log,
      regionalApis,
      ...canariesOf(config),
    },
  );
}
