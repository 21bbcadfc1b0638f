/**
 * keyrot add-region (docs/multi-region.md): a credential that exists comes to live in one more region of
 * replicaRegions. Its secret is replicated there with that region's stack key, the key of its current
 * version is made there with the current value, name and tags, in the given plans, and recorded; the
 * next rotation then covers the region. Refusals name the credential and the region and write nothing.
 * Read with plain SDK calls in each region.
 */
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { secretsKeyAlias } from '../../../functions/core/secrets-key-alias.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { accountPlugin } from '../../support/emulator-account.js';
import { createPlans, dayAt, readAwsState, readKeys, World } from '../../support/world.js';

const OTHER = 'eu-west-1';
const config = (replicaRegions: string[]) =>
  parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 }, replicaRegions });

/** acme onboarded in the home region only (its plans there), and a plan waiting in OTHER. */
async function setUp(world = new World(config([OTHER]))) {
  const homePlans = await createPlans(world.raw().apigw, ['gold']);
  const [otherPlan] = await createPlans(world.rawApigw(OTHER), ['gold-eu']);
  await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0) },
    { credential: 'acme', usagePlanIds: homePlans },
  );
  return { world, otherPlan: otherPlan! };
}

async function current(world: World) {
  const secret = (await readAwsState(world)).secrets.find((s) => s.credential === 'acme')!;
  return secret.currentValue!;
}

function secretsIn(world: World, region: string): SecretsManagerClient {
  const client = new SecretsManagerClient({
    region,
    endpoint: world.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.use(accountPlugin(world.accountId));
  return client;
}

/** Nothing written for the credential in OTHER: no replica, no key. */
async function untouched(world: World) {
  const described = await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
  expect(described.ReplicationStatus ?? []).toEqual([]);
  expect(await readKeys(world.rawApigw(OTHER))).toEqual([]);
}

describe('keyrot add-region', () => {
  it("replicates the secret with the region's stack key and makes the current key there; the next rotation covers it", async () => {
    const { world, otherPlan } = await setUp();
    // A rotation first: the current key is generation 2, with its record.
    expect((await world.run(90)).outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    const value = await current(world);
    const out = await world.cli([
      'add-region',
      'acme',
      '--region-plan',
      `${OTHER}=${otherPlan}`,
      '--now',
      dayAt(91).toISOString(),
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).not.toContain(value);

    const described = await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
    expect(described.ReplicationStatus).toMatchObject([
      { Region: OTHER, KmsKeyId: secretsKeyAlias('keyrot/'), Status: 'InSync' },
    ]);
    const home = (await readKeys(world.raw().apigw)).find((k) => k.value === value)!;
    const there = await readKeys(world.rawApigw(OTHER));
    expect(there).toHaveLength(1);
    expect(there[0]).toMatchObject({
      value,
      enabled: true,
      name: home.name,
      tags: home.tags,
      planIds: [otherPlan],
    });
    expect(home.tags['rotation:generation']).toBe('2');
    const version = home.tags['rotation:version']!;
    const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags['rotation:rotation-region-keys']).toBe(`${version} ${OTHER}=${there[0]!.id}`);
    // A consumer in OTHER finds the replica there.
    expect(
      (await secretsIn(world, OTHER).send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name),
    ).toEqual(['keyrot/acme']);

    // The next rotation makes the new value in both regions before AWSCURRENT moves.
    expect((await world.run(180)).outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    const next = await current(world);
    expect(next).not.toBe(value);
    expect(
      (await readKeys(world.rawApigw(OTHER))).some((k) => k.value === next && k.planIds.includes(otherPlan)),
    ).toBe(true);
  });

  it('refuses a region outside replicaRegions and a rotation pending, naming credential and region', async () => {
    const { world, otherPlan } = await setUp();
    const outside = await world.cli(['add-region', 'acme', '--region-plan', 'ap-south-1=abc123']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('credential acme: region(s) ap-south-1 are not among');

    await world.raw().secrets.send(
      new PutSecretValueCommand({
        SecretId: 'keyrot/acme',
        SecretString: '{}',
        ClientRequestToken: 'pending-version-0000000000000000000000',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const pending = await world.cli(['add-region', 'acme', '--region-plan', `${OTHER}=${otherPlan}`]);
    expect(pending.code).toBe(2);
    expect(pending.stderr).toContain('credential acme: a rotation is pending');
    expect(pending.stderr).toContain(`add ${OTHER} once it has finished`);
    await untouched(world);
  });

  it("refuses a region without the keyrot stack key, and a credential owned by another region's stack", async () => {
    const { world, otherPlan } = await setUp(new World(config([OTHER]), { undeployedRegions: [OTHER] }));
    const keyless = await world.cli(['add-region', 'acme', '--region-plan', `${OTHER}=${otherPlan}`]);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain(`credential acme: ${OTHER} can't hold a replica of its secret`);
    await untouched(world);

    // eu-west-1's stack, on a replica of a credential us-east-1 owns.
    const owner = new World(config([OTHER]));
    const [homePlan] = await createPlans(owner.raw().apigw, ['gold']);
    const [euPlan] = await createPlans(owner.rawApigw(OTHER), ['gold-eu']);
    await onboardCredential(
      { ...owner.clients(), config: owner.config, now: dayAt(0), regionalApis: owner.regionalApis() },
      { credential: 'zed', usagePlanIds: [homePlan!], regions: [{ region: OTHER, usagePlanIds: [euPlan!] }] },
    );
    const here = new World(config(['ap-south-1']), { region: OTHER, accountId: owner.accountId });
    const [southPlan] = await createPlans(here.rawApigw('ap-south-1'), ['gold-south']);
    const refused = await here.cli(['add-region', 'zed', '--region-plan', `ap-south-1=${southPlan}`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("run it in us-east-1, the credential's home region");
  });
});
