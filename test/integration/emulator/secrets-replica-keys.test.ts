/**
 * The KMS key of each replica (keyrot_moto/secrets_replica_keys.py), after the API reference
 * (ReplicaRegionType.KmsKeyId, ReplicationStatusType): a replica is encrypted with the key its region
 * was given, and says so on the primary's ReplicationStatus and on its own DescribeSecret; a key the
 * replica's region does not have fails that region's replication (Failed, a message naming the key),
 * while the primary is made. moto 5.2.1 says alias/aws/secretsmanager whatever was asked.
 */
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ReplicateSecretToRegionsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';
import { caught } from './helpers.js';

const accountId = newAccountId();
const secrets = (region: string) =>
  withAccount(new SecretsManagerClient(testClientConfig(accountId, region)), accountId);
const kms = (region: string) => withAccount(new KMSClient(testClientConfig(accountId, region)), accountId);
const home = secrets('us-east-1');

/** A key with an alias in `region`, as a stack there makes it. */
async function keyIn(region: string, alias: string): Promise<string> {
  const key = await kms(region).send(new CreateKeyCommand({}));
  await kms(region).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata!.KeyId! }));
  return key.KeyMetadata!.KeyId!;
}

describe('the KMS key of a replica', () => {
  it('is the one its region was given, on the primary and on the replica', async () => {
    await keyIn('eu-west-1', 'alias/replica-a');
    await home.send(
      new CreateSecretCommand({
        Name: 'keys/a',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1', KmsKeyId: 'alias/replica-a' }],
      }),
    );
    const primary = await home.send(new DescribeSecretCommand({ SecretId: 'keys/a' }));
    expect(primary.ReplicationStatus).toMatchObject([
      { Region: 'eu-west-1', KmsKeyId: 'alias/replica-a', Status: 'InSync' },
    ]);
    const replica = await secrets('eu-west-1').send(new DescribeSecretCommand({ SecretId: 'keys/a' }));
    expect(replica.KmsKeyId).toBe('alias/replica-a');
    expect(primary.KmsKeyId).toBeUndefined();
  });

  it("is the region's aws/secretsmanager key when none is given", async () => {
    await home.send(
      new CreateSecretCommand({
        Name: 'keys/b',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    expect(
      (await home.send(new DescribeSecretCommand({ SecretId: 'keys/b' }))).ReplicationStatus,
    ).toMatchObject([{ Region: 'eu-west-1', KmsKeyId: 'alias/aws/secretsmanager', Status: 'InSync' }]);
  });

  it("fails that region's replication when its KMS has no such key; the primary and other regions are made", async () => {
    const other = await keyIn('eu-central-1', 'alias/replica-c');
    await home.send(
      new CreateSecretCommand({
        Name: 'keys/c',
        SecretString: 'v1',
        AddReplicaRegions: [
          { Region: 'eu-west-1', KmsKeyId: 'alias/replica-c' },
          { Region: 'eu-central-1', KmsKeyId: other },
        ],
      }),
    );
    const status = (await home.send(new DescribeSecretCommand({ SecretId: 'keys/c' }))).ReplicationStatus!;
    expect(status).toHaveLength(2);
    expect(status[0]).toMatchObject({ Region: 'eu-west-1', KmsKeyId: 'alias/replica-c', Status: 'Failed' });
    expect(status[0]!.StatusMessage).toMatch(/alias\/replica-c.*eu-west-1/);
    expect(status[1]).toMatchObject({ Region: 'eu-central-1', KmsKeyId: other, Status: 'InSync' });
    expect(
      (await caught(secrets('eu-west-1').send(new GetSecretValueCommand({ SecretId: 'keys/c' }))))?.name,
    ).toBe('ResourceNotFoundException');
    expect(
      (await secrets('eu-central-1').send(new GetSecretValueCommand({ SecretId: 'keys/c' }))).SecretString,
    ).toBe('v1');
  });

  it('fails it for a disabled key, and for ReplicateSecretToRegions as for CreateSecret', async () => {
    const key = await keyIn('ap-south-1', 'alias/replica-d');
    await kms('ap-south-1').send(new DisableKeyCommand({ KeyId: key }));
    await home.send(new CreateSecretCommand({ Name: 'keys/d', SecretString: 'v1' }));
    const answer = await home.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: 'keys/d',
        AddReplicaRegions: [{ Region: 'ap-south-1', KmsKeyId: 'alias/replica-d' }],
      }),
    );
    expect(answer.ReplicationStatus).toMatchObject([{ Region: 'ap-south-1', Status: 'Failed' }]);
    expect(answer.ReplicationStatus![0]!.StatusMessage).toMatch(/Disabled/);
  });

  it('fails later when its key is disabled after the replica was made: the next change does not reach it, and it keeps its value', async () => {
    const key = await keyIn('eu-west-1', 'alias/replica-e');
    await home.send(
      new CreateSecretCommand({
        Name: 'keys/e',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1', KmsKeyId: 'alias/replica-e' }],
      }),
    );
    const replicaValue = async () =>
      (await secrets('eu-west-1').send(new GetSecretValueCommand({ SecretId: 'keys/e' }))).SecretString;
    await expect.poll(replicaValue, { timeout: 10_000, interval: 250 }).toBe('v1');
    await kms('eu-west-1').send(new DisableKeyCommand({ KeyId: key }));
    // Nothing to replicate yet: still in sync.
    expect(
      (await home.send(new DescribeSecretCommand({ SecretId: 'keys/e' }))).ReplicationStatus?.[0]?.Status,
    ).not.toBe('Failed');
    await home.send(new PutSecretValueCommand({ SecretId: 'keys/e', SecretString: 'v2' }));
    const status = (await home.send(new DescribeSecretCommand({ SecretId: 'keys/e' }))).ReplicationStatus!;
    expect(status).toMatchObject([{ Region: 'eu-west-1', KmsKeyId: 'alias/replica-e', Status: 'Failed' }]);
    expect(status[0]!.StatusMessage).toMatch(/alias\/replica-e in eu-west-1 is Disabled/);
    // Well past the replication delay, the replica still shows the value it had.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await replicaValue()).toBe('v1');
  });
});
