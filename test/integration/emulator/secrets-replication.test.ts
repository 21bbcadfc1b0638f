/**
 * Secrets Manager replication (keyrot_moto/secrets_replication.py), after the user guide ("Replicate
 * secrets across Regions": the primary rotates, "the new secret value propagates to all of the
 * associated replica secrets") and the API reference (ReplicationStatusType): a replica has the
 * primary's ARN but for the region, follows its values and staging labels asynchronously (the
 * emulator's delay, 1 s here), says InProgress while a change is on its way, and refuses writes.
 * PrimaryRegion says where a secret is owned: the primary's region, on the primary and on each replica.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';
import { caught } from './helpers.js';

const accountId = newAccountId();
const client = (region: string) =>
  withAccount(new SecretsManagerClient(testClientConfig(accountId, region)), accountId);
const home = client('us-east-1');
const replica = client('eu-west-1');
const DELAY_MS = 1_000;

const current = async (c: SecretsManagerClient, id: string) =>
  (await c.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Secrets Manager replicas', () => {
  it('have the primary ARN but for the region, its value at once after creation, and PrimaryRegion', async () => {
    const created = await home.send(
      new CreateSecretCommand({
        Name: 'keyrot/multi-a',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    const arn = created.ARN!.replace('us-east-1', 'eu-west-1');
    expect(await current(replica, arn)).toBe('v1');
    expect(await current(replica, 'keyrot/multi-a')).toBe('v1');
    const described = await replica.send(new DescribeSecretCommand({ SecretId: 'keyrot/multi-a' }));
    expect([described.ARN, described.PrimaryRegion]).toEqual([arn, 'us-east-1']);
    expect(
      (await home.send(new DescribeSecretCommand({ SecretId: 'keyrot/multi-a' }))).ReplicationStatus,
    ).toMatchObject([{ Region: 'eu-west-1', Status: 'InSync' }]);
  });

  it('follow a new AWSCURRENT after the replication delay, not at once, InProgress meanwhile', async () => {
    await home.send(
      new CreateSecretCommand({
        Name: 'keyrot/multi-b',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    const put = await home.send(
      new PutSecretValueCommand({ SecretId: 'keyrot/multi-b', SecretString: 'v2' }),
    );
    const moved = performance.now();
    expect(await current(home, 'keyrot/multi-b')).toBe('v2');
    const early = await current(replica, 'keyrot/multi-b');
    const status = (await home.send(new DescribeSecretCommand({ SecretId: 'keyrot/multi-b' })))
      .ReplicationStatus;
    // Read well inside the delay: the replica still serves the old value, and says so.
    if (performance.now() - moved < DELAY_MS / 2) {
      expect(early).toBe('v1');
      expect(status).toMatchObject([{ Region: 'eu-west-1', Status: 'InProgress' }]);
    }
    await sleep(DELAY_MS + 200);
    expect(await current(replica, 'keyrot/multi-b')).toBe('v2');
    const versions = (await replica.send(new DescribeSecretCommand({ SecretId: 'keyrot/multi-b' })))
      .VersionIdsToStages!;
    expect(versions[put.VersionId!]).toEqual(['AWSCURRENT']);
    expect(
      (await home.send(new DescribeSecretCommand({ SecretId: 'keyrot/multi-b' }))).ReplicationStatus,
    ).toMatchObject([{ Region: 'eu-west-1', Status: 'InSync' }]);
  });

  it('follow staging-label moves (a rollback) too, and refuse writes: those go to the primary region', async () => {
    const created = await home.send(
      new CreateSecretCommand({
        Name: 'keyrot/multi-c',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    const v2 = await home.send(new PutSecretValueCommand({ SecretId: 'keyrot/multi-c', SecretString: 'v2' }));
    await home.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'keyrot/multi-c',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: created.VersionId,
        RemoveFromVersionId: v2.VersionId,
      }),
    );
    await sleep(DELAY_MS + 200);
    expect(await current(replica, 'keyrot/multi-c')).toBe('v1');
    const refused = await caught(
      replica.send(new PutSecretValueCommand({ SecretId: 'keyrot/multi-c', SecretString: 'v3' })),
    );
    expect(refused?.name).toBe('InvalidParameterException');
    expect(refused?.message).toContain("Call must be made in primary secret's region");
  });

  it('name the primary region as PrimaryRegion, on the primary too (DescribeSecret and ListSecrets); a secret never replicated names none', async () => {
    await home.send(
      new CreateSecretCommand({
        Name: 'keyrot/multi-d',
        SecretString: 'v1',
        AddReplicaRegions: [{ Region: 'eu-west-1' }],
      }),
    );
    await home.send(new CreateSecretCommand({ Name: 'keyrot/single-d', SecretString: 'v1' }));
    const listed = async (c: SecretsManagerClient, name: string) =>
      (await c.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }))).SecretList?.find(
        (s) => s.Name === name,
      )?.PrimaryRegion;
    const described = async (c: SecretsManagerClient, name: string) =>
      (await c.send(new DescribeSecretCommand({ SecretId: name }))).PrimaryRegion;
    for (const c of [home, replica]) {
      expect(await described(c, 'keyrot/multi-d')).toBe('us-east-1');
      expect(await listed(c, 'keyrot/multi-d')).toBe('us-east-1');
    }
    expect(await described(home, 'keyrot/single-d')).toBeUndefined();
    expect(await listed(home, 'keyrot/single-d')).toBeUndefined();
  });
});
