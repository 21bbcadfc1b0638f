/**
 * Consumers on the emulator's IAM (issue 26): a role of another account named in keyrot:consumers reads
 * its own credential's secret by ARN, as AWS allows it only when the role's own policy, the secret's
 * resource policy (the reconciler's grant) and the stack key's policy (kms:Decrypt through Secrets
 * Manager) all say so. It is refused another credential's secret, and writing its own, even with a
 * role policy that allows every Secrets Manager action: the grant is what limits it.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { startIamGateway, type IamGateway } from '../../../emulator/iam/gateway.mjs';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { newAccountId, withAccount } from '../../support/emulator-account.js';
import { DEPLOYED_30D, rotationsSettled, useTimedEmulator } from '../../support/deployed.js';
import { caught } from '../emulator/helpers.js';
import { createPlans, dayAt, World } from '../../support/world.js';

const emulator = useTimedEmulator();
const gateways: IamGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

describe("a consumer in another account, on the emulator's IAM", () => {
  it('reads its own secret; is refused another credential’s, and PutSecretValue on its own', async () => {
    const partner = newAccountId();
    const roleArn = `arn:aws:iam::${partner}:role/partner-app`;
    const world = new World(DEPLOYED_30D, { endpoint: emulator.endpoint() });
    await world.deploy({ 'keyrot:consumers': [{ credential: 'acme', principalArn: roleArn }] });
    world.config = { ...world.config, consumers: { acme: [roleArn] } };
    await world.setClock(dayAt(0));
    const plans = await createPlans(world.raw().apigw, ['gold']);
    const deps = { ...world.clients(), config: world.config, now: dayAt(0) };
    const acme = await onboardCredential(deps, { credential: 'acme', usagePlanIds: plans });
    const globex = await onboardCredential(deps, { credential: 'globex', usagePlanIds: plans });
    // Onboarding's RotateImmediately=false runs testSecret on a temporary version: let it finish.
    await rotationsSettled(world.endpoint);
    // The reconciler keeps the consumers' grants on the secrets.
    const run = await world.run(1);
    expect(run.outcomes.filter((o) => o.status !== 'done')).toEqual([]);

    // The partner's role: its own account's policy allows all of Secrets Manager on keyrot's secrets.
    const config = {
      region: world.region,
      endpoint: world.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const iam = withAccount(new IAMClient(config), partner);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'partner-app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${partner}:root` }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'partner-app',
        PolicyName: 'read-keys',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:*',
              Resource: `arn:aws:secretsmanager:*:${world.accountId}:secret:keyrot/*`,
            },
            { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
          ],
        }),
      }),
    );
    const gateway = await startIamGateway({
      upstream: world.endpoint,
      account: partner,
      roleArn,
      sessionName: 'partner',
    });
    gateways.push(gateway);
    const secrets = withAccount(new SecretsManagerClient({ ...config, endpoint: gateway.endpoint }), partner);

    const own = await secrets.send(new GetSecretValueCommand({ SecretId: acme.secretArn }));
    expect(JSON.parse(own.SecretString ?? '{}')).toHaveProperty('credential', 'acme');
    const other = await caught(secrets.send(new GetSecretValueCommand({ SecretId: globex.secretArn })));
    expect(other?.name).toBe('AccessDeniedException');
    expect(other?.message).toContain('secretsmanager:GetSecretValue');
    const write = await caught(
      secrets.send(
        new PutSecretValueCommand({
          SecretId: acme.secretArn,
          SecretString: '{"credential":"acme","apiKey":"x"}',
        }),
      ),
    );
    // Refused by the secret's resource policy itself (before its key would be asked).
    expect(write?.name).toBe('AccessDeniedException');
    expect(write?.message).toContain('secretsmanager:PutSecretValue');
  });
});
