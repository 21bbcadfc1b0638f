import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { onboardCredential } from '../../functions/aws/onboard.js';
import { createClients } from '../../functions/commons/clients.js';
import { defaultConfig } from '../../functions/core/config.js';
import { emulatorEndpoint } from '../support/emulator-account.js';
import { createPlans } from '../support/world.js';

// The handlers build their clients from the Lambda environment: here, the emulator's default account.
describe('Lambda handlers, as AWS invokes them', () => {
  const config = defaultConfig();
  let clients: ReturnType<typeof createClients>;

  beforeAll(() => {
    vi.stubEnv('AWS_ENDPOINT_URL', emulatorEndpoint());
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('KEYROT_CONFIG', JSON.stringify({ metricNamespace: 'KeyRotationHandlerTest' }));
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    clients = createClients({ region: 'us-east-1', endpoint: emulatorEndpoint() });
  });

  it('the rotation function runs the four steps Secrets Manager sends it', async () => {
    const [plan] = await createPlans(clients.apigw, ['handler-gold'], 'handler-api');
    const credential = `handler-${Date.now()}`;
    const onboarded = await onboardCredential(
      { ...clients, config, now: new Date() },
      { credential, usagePlanIds: [plan!] },
    );
    const { handler } = await import('../../functions/rotation.js');
    const rotation = await clients.secrets.send(new RotateSecretCommand({ SecretId: onboarded.secretArn }));
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await handler({ Step, SecretId: onboarded.secretArn, ClientRequestToken: rotation.VersionId ?? '' });
    }
    const described = await clients.secrets.send(
      new DescribeSecretCommand({ SecretId: onboarded.secretArn }),
    );
    expect(described.VersionIdsToStages?.[rotation.VersionId ?? '']).toContain('AWSCURRENT');
    expect(described.VersionIdsToStages?.[onboarded.version]).toContain('AWSPREVIOUS');
    const { handler: reconcile } = await import('../../functions/reconciler.js');
    const result = await reconcile({ 'detail-type': 'Scheduled Event', dryRun: true });
    expect(result).toMatchObject({ actions: 0, failed: 0 });
  });

  it('the scheduled reconciler runs and answers with counts', async () => {
    const { handler } = await import('../../functions/reconciler.js');
    const result = await handler({ source: 'aws.scheduler' });
    expect(result).toEqual({
      runId: expect.any(String),
      actions: 0,
      done: 0,
      failed: 0,
      findings: expect.any(Number),
    });
  });
});
