import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  DeleteSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { accountPlugin, newAccountId, testClientConfig } from '../../support/emulator-account.js';

const accountId = newAccountId();
const secrets = new SecretsManagerClient(testClientConfig(accountId));
secrets.middlewareStack.use(accountPlugin(accountId));
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotate';
let n = 0;

async function newSecret(): Promise<{ arn: string; v1: string }> {
  n += 1;
  const out = await secrets.send(
    new CreateSecretCommand({ Name: `emu/secret-${n}`, SecretString: '{"v":1}' }),
  );
  return { arn: out.ARN ?? '', v1: out.VersionId ?? '' };
}

describe('RotateSecret: the bookkeeping half of rotation, no Lambda run', () => {
  it('records a value-less AWSPENDING version, turns rotation on and stores the rules', async () => {
    const { arn, v1 } = await newSecret();
    const out = await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(out.VersionId).toEqual(expect.any(String));
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'], [out.VersionId!]: ['AWSPENDING'] });
    expect(described.NextRotationDate).toBeInstanceOf(Date);
    // The current value is untouched, and the pending version has no value yet.
    const current = await secrets.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSCURRENT' }),
    );
    expect(current.SecretString).toBe('{"v":1}');
    for (const input of [{ VersionId: out.VersionId }, { VersionStage: 'AWSPENDING' }]) {
      const error = await errorOf(secrets.send(new GetSecretValueCommand({ SecretId: arn, ...input })));
      expect(error?.name).toBe('ResourceNotFoundException');
    }
  });

  it('a rotation in progress: the same token resumes it, another is refused', async () => {
    const { arn } = await newSecret();
    const token = 'a'.repeat(8) + '-bbbb-cccc-dddd-' + 'e'.repeat(12);
    await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    const again = await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    expect(again.VersionId).toBe(token);
    const other = await errorOf(secrets.send(new RotateSecretCommand({ SecretId: arn })));
    expect(other?.name).toBe('InvalidRequestException');
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(2);
  });

  it('RotateImmediately=false only sets the configuration', async () => {
    const { arn, v1 } = await newSecret();
    const out = await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotateImmediately: false,
        RotationRules: { AutomaticallyAfterDays: 90 },
        RotationLambdaARN: LAMBDA,
      }),
    );
    expect(out.VersionId).toBeUndefined();
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeUndefined();
  });

  it('a secret scheduled for deletion, or unknown, is refused', async () => {
    const { arn } = await newSecret();
    await secrets.send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: 7 }));
    expect((await errorOf(secrets.send(new RotateSecretCommand({ SecretId: arn }))))?.name).toBe(
      'InvalidRequestException',
    );
    expect((await errorOf(secrets.send(new RotateSecretCommand({ SecretId: 'emu/none' }))))?.name).toBe(
      'ResourceNotFoundException',
    );
  });
});

describe('PutSecretValue with the token of an existing version', () => {
  it('fills the placeholder, is a no-op for the same value, and refuses another value', async () => {
    const { arn } = await newSecret();
    const { VersionId: token } = await secrets.send(new RotateSecretCommand({ SecretId: arn }));
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'new',
        VersionStages: ['AWSPENDING'],
      }),
    );
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'new',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const other = await errorOf(
      secrets.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: token,
          SecretString: 'other',
          VersionStages: ['AWSPENDING'],
        }),
      ),
    );
    expect(other?.name).toBe('ResourceExistsException');
    const pending = await secrets.send(
      new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPENDING' }),
    );
    expect(pending).toMatchObject({ VersionId: token, SecretString: 'new' });
  });
});

describe('finishing a rotation: UpdateSecretVersionStage moves AWSCURRENT onto the pending version', () => {
  it('sets LastRotatedDate, makes the old version AWSPREVIOUS, and the default read follows AWSCURRENT', async () => {
    const { arn, v1 } = await newSecret();
    const { VersionId: token } = await secrets.send(
      new RotateSecretCommand({ SecretId: arn, RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'rotated',
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(
      (await secrets.send(new DescribeSecretCommand({ SecretId: arn }))).LastRotatedDate,
    ).toBeUndefined();
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: v1,
      }),
    );
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect(described.VersionIdsToStages?.[v1]).toEqual(['AWSPREVIOUS']);
    expect(described.VersionIdsToStages?.[token!]).toContain('AWSCURRENT');
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('rotated');
    const listed = await secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['emu/'] }] }),
    );
    const entry = listed.SecretList?.find((s) => s.ARN === arn);
    expect(entry).toMatchObject({ RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 30 } });
    expect(entry?.SecretVersionsToStages?.[token!]).toContain('AWSCURRENT');
    // A later PutSecretValue makes a new current version and the rotated one previous, as in AWS.
    const put = await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'by hand' }));
    const after = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    const currents = Object.entries(after.VersionIdsToStages ?? {}).filter(([, s]) =>
      s.includes('AWSCURRENT'),
    );
    expect(currents.map(([v]) => v)).toEqual([put.VersionId]);
    expect(after.VersionIdsToStages?.[token!]).toContain('AWSPREVIOUS');
  });
});
