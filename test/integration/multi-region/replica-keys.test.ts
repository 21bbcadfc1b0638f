/**
 * A multi-region credential's replicas are encrypted with each replica region's keyrot stack key
 * (docs/multi-region.md), named by the alias every stack gives its secrets key
 * (core/secrets-key-alias.ts): a consumer in another account can be granted that key, never the
 * region's aws/secretsmanager. A region without the key (the stack not deployed there yet) is refused
 * before anything is written. Read with plain SDK calls in each region.
 */
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { secretsKeyAlias } from '../../../functions/core/secrets-key-alias.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { accountPlugin } from '../../support/emulator-account.js';
import { createPlans, dayAt, readKeys, World } from '../../support/world.js';

const OTHER = 'eu-west-1';
const ALIAS = secretsKeyAlias('keyrot/');

function world(options: { undeployedRegions?: string[] } = {}) {
  return new World(
    parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 }, replicaRegions: [OTHER] }),
    options,
  );
}

function secretsIn(w: World, region: string): SecretsManagerClient {
  const client = new SecretsManagerClient({
    region,
    endpoint: w.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.use(accountPlugin(w.accountId));
  return client;
}

async function onboardArgs(w: World): Promise<string[]> {
  const [home] = await createPlans(w.raw().apigw, ['gold']);
  const [other] = await createPlans(w.rawApigw(OTHER), ['gold-eu']);
  return [
    'onboard',
    'acme',
    '--plan',
    home!,
    '--region-plan',
    `${OTHER}=${other!}`,
    '--now',
    dayAt(0).toISOString(),
  ];
}

describe("a multi-region credential's replicas", () => {
  it("are encrypted with the replica region's keyrot stack key, by its alias", async () => {
    const w = world();
    const out = await w.cli(await onboardArgs(w));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const primary = await w.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
    expect(primary.ReplicationStatus).toMatchObject([{ Region: OTHER, KmsKeyId: ALIAS, Status: 'InSync' }]);
    const replica = await secretsIn(w, OTHER).send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
    expect(replica.KmsKeyId).toBe(ALIAS);
    // The alias is the stack's key of that region: a customer managed key, enabled.
    const key = await w.rawKms(OTHER).send(new DescribeKeyCommand({ KeyId: ALIAS }));
    expect(key.KeyMetadata).toMatchObject({ KeyManager: 'CUSTOMER', KeyState: 'Enabled' });
    expect(key.KeyMetadata!.Arn).toContain(`:kms:${OTHER}:`);
  });

  it('refuse a region without the keyrot stack key, naming it, before anything is written', async () => {
    const w = world({ undeployedRegions: [OTHER] });
    const out = await w.cli(await onboardArgs(w));
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${OTHER} can't hold a replica of its secret: it has no key ${ALIAS}`);
    expect(out.stderr).toContain(`deploy the keyrot stack in ${OTHER}`);
    for (const region of [w.region, OTHER])
      expect((await secretsIn(w, region).send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    expect(await readKeys(w.raw().apigw)).toEqual([]);
    expect(await readKeys(w.rawApigw(OTHER))).toEqual([]);
  });

  it('refuse it through onboardCredential too, when given the regions KMS', async () => {
    const w = world({ undeployedRegions: [OTHER] });
    const [home] = await createPlans(w.raw().apigw, ['gold']);
    const [other] = await createPlans(w.rawApigw(OTHER), ['gold-eu']);
    await expect(
      onboardCredential(
        {
          ...w.clients(),
          config: w.config,
          now: dayAt(0),
          regionalApis: w.regionalApis(),
          regionalKms: w.regionalKms(),
        },
        { credential: 'acme', usagePlanIds: [home!], regions: [{ region: OTHER, usagePlanIds: [other!] }] },
      ),
    ).rejects.toThrow(new RegExp(`${OTHER} can't hold a replica`));
    expect((await w.raw().secrets.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
  });
});
