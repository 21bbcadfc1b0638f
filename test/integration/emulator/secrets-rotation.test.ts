/**
 * (f) RotateSecret's bookkeeping (the caller-drives header of secretsAccount() keeps the emulator from
 * invoking a function; lifecycle/deployed-rotation.test.ts covers the asynchronous rotation itself);
 * (i) moving AWSCURRENT onto the pending version completes the rotation: LastRotatedDate, and what
 * DescribeSecret and ListSecrets show of the rotation.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { testClientConfig, withAccount } from '../../support/emulator-account.js';
import { caught, secretsAccount } from './helpers.js';

const { secrets, accountId } = secretsAccount();
/** The same account without the test header: RotateSecret as AWS answers it. */
const asAws = withAccount(new SecretsManagerClient(testClientConfig(accountId, 'us-east-1')), accountId);
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:keyrot-rotate';
const OTHER_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:other-rotate';
const DAY_MS = 86_400_000;
let n = 0;

async function newSecret(value = '{"apiKey":"v1"}'): Promise<{ arn: string; v1: string; name: string }> {
  n += 1;
  const name = `emu/rotation-${n}`;
  const out = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { arn: out.ARN ?? '', v1: out.VersionId ?? '', name };
}
const describeSecret = (arn: string) => secrets.send(new DescribeSecretCommand({ SecretId: arn }));
/** The rotation function's setSecret..finishSecret, as a driver on the emulator runs them. */
async function finish(arn: string, token: string, from: string, value = '{"apiKey":"v2"}'): Promise<void> {
  await secrets.send(
    new PutSecretValueCommand({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: value,
      VersionStages: ['AWSPENDING'],
    }),
  );
  await secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: token,
      RemoveFromVersionId: from,
    }),
  );
}
const near = (actual: Date | undefined, expectedMs: number, slackMs = 120_000) => {
  expect(actual).toBeInstanceOf(Date);
  expect(Math.abs(actual!.getTime() - expectedMs)).toBeLessThan(slackMs);
};

describe('(f) RotateSecret', () => {
  it('records a value-less AWSPENDING version with the given token, turns rotation on and stores the rules', async () => {
    const { arn, v1, name } = await newSecret();
    const token = randomUUID();
    const out = await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        ClientRequestToken: token,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect({ ARN: out.ARN, Name: out.Name, VersionId: out.VersionId }).toEqual({
      ARN: arn,
      Name: name,
      VersionId: token,
    });
    const described = await describeSecret(arn);
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe(LAMBDA);
    expect(described.RotationRules).toEqual({ AutomaticallyAfterDays: 30 });
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
    expect(described.LastRotatedDate).toBeUndefined();
    near(described.NextRotationDate, Date.now() + 30 * DAY_MS);
    // Nothing ran: the current value is untouched.
    const current = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
    expect({ VersionId: current.VersionId, SecretString: current.SecretString }).toEqual({
      VersionId: v1,
      SecretString: '{"apiKey":"v1"}',
    });
  });

  it('without a ClientRequestToken the new version gets a UUID', async () => {
    const { arn } = await newSecret();
    const out = await secrets.send(new RotateSecretCommand({ SecretId: arn }));
    expect(out.VersionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await describeSecret(arn)).VersionIdsToStages?.[out.VersionId!]).toEqual(['AWSPENDING']);
  });

  it('a rotation in progress: every RotateSecret is InvalidRequestException, its own token included', async () => {
    const { arn } = await newSecret();
    const token = randomUUID();
    await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    // AWS: "any later invocation of RotateSecret assumes that a previous rotation request is still in
    // progress and returns an error"; a retry of the same token does not resume it.
    for (const input of [{}, { ClientRequestToken: token }, { ClientRequestToken: randomUUID() }]) {
      const error = await caught(secrets.send(new RotateSecretCommand({ SecretId: arn, ...input })));
      expect(error?.name).toBe('InvalidRequestException');
      expect(error?.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    }
    expect(Object.keys((await describeSecret(arn)).VersionIdsToStages ?? {})).toHaveLength(2);
  });

  it('after a completed rotation the next one starts a new pending version and takes AWSPENDING off the old', async () => {
    const { arn, v1 } = await newSecret();
    const first = randomUUID();
    await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: first }));
    await finish(arn, first, v1);
    // Complete: AWSPENDING and AWSCURRENT on the same version.
    expect((await describeSecret(arn)).VersionIdsToStages?.[first]).toEqual(['AWSPENDING', 'AWSCURRENT']);
    const second = randomUUID();
    await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: second }));
    expect((await describeSecret(arn)).VersionIdsToStages).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [first]: ['AWSCURRENT'],
      [second]: ['AWSPENDING'],
    });
  });

  it('RotateImmediately=false creates no version and answers no VersionId, but configures rotation', async () => {
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
    const described = await describeSecret(arn);
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 90 },
    });
    expect(described.LastRotatedDate).toBeUndefined();
    near(described.NextRotationDate, Date.now() + 90 * DAY_MS);
  });

  it('keeps the Lambda ARN and rules when a later call omits them, and takes new ones when given', async () => {
    const { arn } = await newSecret();
    await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotateImmediately: false,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 7 },
      }),
    );
    await secrets.send(new RotateSecretCommand({ SecretId: arn, RotateImmediately: false }));
    expect(await describeSecret(arn)).toMatchObject({
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 7 },
    });
    await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotateImmediately: false,
        RotationLambdaARN: OTHER_LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '3h' },
      }),
    );
    const described = await describeSecret(arn);
    expect(described.RotationLambdaARN).toBe(OTHER_LAMBDA);
    // A rate() in days is also reported as AutomaticallyAfterDays.
    expect(described.RotationRules).toEqual({
      ScheduleExpression: 'rate(10 days)',
      Duration: '3h',
      AutomaticallyAfterDays: 10,
    });
    near(described.NextRotationDate, Date.now() + 10 * DAY_MS);
  });

  it('a cron() schedule is refused, saying the emulator does not evaluate them (keyrot never sets one)', async () => {
    const { arn } = await newSecret();
    const error = await caught(
      secrets.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotateImmediately: false,
          RotationRules: { ScheduleExpression: 'cron(0 16 1 * ? *)', Duration: '2h' },
        }),
      ),
    );
    expect(error?.name).toBe('InvalidParameterException');
    expect(error?.message).toMatch(/does not evaluate cron\(\) schedules/);
  });

  it.each([
    ['AutomaticallyAfterDays 0', { AutomaticallyAfterDays: 0 }],
    ['AutomaticallyAfterDays 1001', { AutomaticallyAfterDays: 1001 }],
    ['both a days value and a schedule', { AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' }],
    ['a malformed schedule', { ScheduleExpression: 'every tuesday' }],
    ['a rate in hours under 4', { ScheduleExpression: 'rate(2 hours)' }],
    ['a window over a day', { AutomaticallyAfterDays: 5, Duration: '25h' }],
  ])('rules with %s are InvalidParameterException and change nothing', async (_case, RotationRules) => {
    const { arn, v1 } = await newSecret();
    const error = await caught(secrets.send(new RotateSecretCommand({ SecretId: arn, RotationRules })));
    expect(error?.name).toBe('InvalidParameterException');
    const described = await describeSecret(arn);
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBeUndefined();
  });

  it('a ClientRequestToken outside 32-64 characters is InvalidParameterException', async () => {
    const { arn } = await newSecret();
    const error = await caught(
      secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: 'short' })),
    );
    expect(error?.name).toBe('InvalidParameterException');
  });

  it('an unknown secret is ResourceNotFoundException; one scheduled for deletion is InvalidRequestException', async () => {
    const missing = await caught(secrets.send(new RotateSecretCommand({ SecretId: 'emu/no-such-secret' })));
    expect(missing?.name).toBe('ResourceNotFoundException');
    const { arn, v1 } = await newSecret();
    await secrets.send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: 7 }));
    const deleted = await caught(secrets.send(new RotateSecretCommand({ SecretId: arn })));
    expect(deleted?.name).toBe('InvalidRequestException');
    expect((await describeSecret(arn)).VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
  });
});

describe('(i) completing a rotation', () => {
  it('AWSCURRENT onto the pending version sets LastRotatedDate and NextRotationDate from it; both APIs show it', async () => {
    const { arn, v1 } = await newSecret();
    const token = randomUUID();
    await secrets.send(
      new RotateSecretCommand({
        SecretId: arn,
        ClientRequestToken: token,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: '{"apiKey":"v2"}',
        VersionStages: ['AWSPENDING'],
      }),
    );
    // setSecret and testSecret done, finishSecret not yet: not rotated.
    expect((await describeSecret(arn)).LastRotatedDate).toBeUndefined();
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: v1,
      }),
    );
    const described = await describeSecret(arn);
    near(described.LastRotatedDate, Date.now());
    expect(described.NextRotationDate!.getTime() - described.LastRotatedDate!.getTime()).toBe(30 * DAY_MS);
    expect(described.VersionIdsToStages).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [token]: ['AWSPENDING', 'AWSCURRENT'],
    });

    const listed = await secrets.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['emu/'] }] }),
    );
    const entry = listed.SecretList?.find((s) => s.ARN === arn);
    expect(entry).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
      LastRotatedDate: described.LastRotatedDate,
      NextRotationDate: described.NextRotationDate,
    });
    expect(entry?.SecretVersionsToStages).toEqual(described.VersionIdsToStages);
  });

  it('moving AWSCURRENT onto a version that is not pending (a rollback) is not a rotation', async () => {
    const { arn, v1 } = await newSecret();
    const token = randomUUID();
    await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
    await finish(arn, token, v1);
    const rotatedAt = (await describeSecret(arn)).LastRotatedDate;
    expect(rotatedAt).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 1100)); // moto keeps whole seconds
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: token,
      }),
    );
    const described = await describeSecret(arn);
    expect(described.LastRotatedDate).toEqual(rotatedAt);
    expect(described.VersionIdsToStages).toEqual({
      [v1]: ['AWSCURRENT'],
      [token]: ['AWSPENDING', 'AWSPREVIOUS'],
    });
  });

  it('a secret never rotated shows no rotation fields', async () => {
    const { arn } = await newSecret();
    const described = await describeSecret(arn);
    for (const field of [
      'RotationEnabled',
      'RotationLambdaARN',
      'RotationRules',
      'LastRotatedDate',
      'NextRotationDate',
    ] as const) {
      expect(described[field]).toBeUndefined();
    }
  });

  it('as on AWS: no rotation function on the call or the secret is InvalidRequestException; one Secrets Manager may not invoke is AccessDeniedException', async () => {
    const { arn } = await newSecret();
    const none = await caught(asAws.send(new RotateSecretCommand({ SecretId: arn })));
    expect(none?.name).toBe('InvalidRequestException');
    expect(none?.message).toMatch(/doesn't already have a Lambda function ARN configured/);
    const missing = await caught(
      asAws.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: LAMBDA })),
    );
    expect(missing?.name).toBe('AccessDeniedException');
    expect(missing?.message).toMatch(/cannot invoke the specified Lambda function/);
    // Refused before anything changed: no version, rotation still off.
    const described = await describeSecret(arn);
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(1);
    expect(described.RotationEnabled ?? false).toBe(false);
  });
});
