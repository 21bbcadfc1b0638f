/**
 * A credential owned in another region (issue 27, docs/multi-region.md): its secret is primary in
 * us-east-1 with a replica in eu-west-1, and its keys in eu-west-1 carry its tags. eu-west-1's stack
 * sees them, reports one `owned-in-region` finding, and acts on none of them, whatever is due: what
 * is checked is eu-west-1 as plain SDK calls read it, before and after.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  paginateListSecrets,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { createPlans, dayAt, readKeys, World } from '../../support/world.js';

const HOME = 'us-east-1';
const HERE = 'eu-west-1';

/**
 * eu-west-1's stack, in the account of `home`: every hygiene action that may disable a key is on, and
 * us-east-1 is among its replica regions (one configuration for every region of a StackSet).
 */
const hereWorld = (home: World) =>
  new World(
    parseConfig({
      staggerPercent: 0,
      pacing: { quotaScale: 8 },
      hygiene: { unused: { action: 'disable', days: 30 }, orphaned: { action: 'disable' } },
      replicaRegions: [HOME],
    }),
    { region: HERE, accountId: home.accountId },
  );

/** A region as plain SDK calls read it: keys (not their values), plans, and each secret's stages and tags. */
async function regionState(world: World) {
  const { apigw, secrets } = world.raw();
  const keys = (await readKeys(apigw)).map(({ value: _, ...key }) => key);
  const listed = [];
  for await (const page of paginateListSecrets({ client: secrets }, {}))
    listed.push(...(page.SecretList ?? []));
  const described = await Promise.all(
    listed.map((s) => secrets.send(new DescribeSecretCommand({ SecretId: s.ARN }))),
  );
  return {
    keys: keys.sort((a, b) => a.id.localeCompare(b.id)),
    secrets: described
      .map((d) => ({
        name: d.Name,
        primaryRegion: d.PrimaryRegion,
        versions: d.VersionIdsToStages,
        tags: Object.fromEntries((d.Tags ?? []).map((t) => [t.Key, t.Value])),
        rotationEnabled: d.RotationEnabled ?? false,
      }))
      .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
  };
}

/** The state without one key (the unmanaged one this region's own hygiene acts on). */
const withoutKey = (state: Awaited<ReturnType<typeof regionState>>, id: string) => ({
  ...state,
  keys: state.keys.filter((k) => k.id !== id),
});

/** Waits until every replica in `world`'s region shows the AWSCURRENT its primary has. */
async function replicasSettled(home: SecretsManagerClient, world: World, names: string[]) {
  const current = (v: Record<string, string[]> | undefined) =>
    Object.entries(v ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  for (const name of names) {
    const want = current((await home.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages);
    await expect
      .poll(
        async () =>
          current(
            (await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: name })))
              .VersionIdsToStages,
          ),
        { timeout: 10_000, interval: 200 },
      )
      .toBe(want);
  }
}

const value = () => randomBytes(24).toString('hex');

/** A key with keyrot's tags of credential `credential`, in `plans`. */
async function taggedKey(
  apigw: APIGatewayClient,
  spec: { credential: string; generation: number; version: string; day: number; plans: string[] },
  extra: { enabled?: boolean; tags?: Record<string, string> } = {},
): Promise<string> {
  const made = await apigw.send(
    new CreateApiKeyCommand({
      name: `keyrot-${spec.credential}-${spec.version}`,
      value: value(),
      enabled: extra.enabled ?? true,
      tags: {
        'rotation:credential': spec.credential,
        'rotation:generation': String(spec.generation),
        'rotation:version': spec.version,
        'rotation:created-at': dayAt(spec.day).toISOString(),
        'rotation:activated-at': dayAt(spec.day).toISOString(),
        ...extra.tags,
      },
    }),
  );
  for (const usagePlanId of spec.plans)
    await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: made.id, keyType: 'API_KEY' }));
  return made.id!;
}

/**
 * Credential alice made with plain SDK calls, as a secret made before ownership records: primary in
 * us-east-1, replicated to eu-west-1, three versions. Its keys in eu-west-1 on day 400 are all due:
 * generation 1 disabled on day 110 (delete), 2 superseded on day 200 and in a plan the current key is
 * not in (disable, attach), 3 current since day 200 (rotate). An unmanaged key is there too.
 */
async function replicatedByHand() {
  const home = new World();
  const here = hereWorld(home);
  const [gold, silver] = (await createPlans(here.raw().apigw, ['gold', 'silver'])) as [string, string];
  const versions = [randomUUID(), randomUUID(), randomUUID()] as const;
  const secret = (v: string) => JSON.stringify({ credential: 'alice', apiKey: value(), version: v });
  const homeSecrets = home.raw().secrets;
  await homeSecrets.send(
    new CreateSecretCommand({
      Name: 'keyrot/alice',
      ClientRequestToken: versions[0],
      SecretString: secret(versions[0]),
      Tags: [{ Key: 'rotation:credential', Value: 'alice' }],
      AddReplicaRegions: [{ Region: HERE }],
    }),
  );
  for (const v of versions.slice(1))
    await homeSecrets.send(
      new PutSecretValueCommand({ SecretId: 'keyrot/alice', ClientRequestToken: v, SecretString: secret(v) }),
    );
  const apigw = here.raw().apigw;
  const alice = { credential: 'alice' };
  await taggedKey(
    apigw,
    { ...alice, generation: 1, version: versions[0], day: 0, plans: [gold, silver] },
    { enabled: false, tags: { 'rotation:disabled-at': dayAt(110).toISOString() } },
  );
  await taggedKey(apigw, { ...alice, generation: 2, version: versions[1], day: 100, plans: [gold, silver] });
  await taggedKey(apigw, { ...alice, generation: 3, version: versions[2], day: 200, plans: [gold] });
  const unmanaged = await apigw.send(
    new CreateApiKeyCommand({ name: 'legacy', enabled: true, value: value() }),
  );
  await apigw.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: gold, keyId: unmanaged.id, keyType: 'API_KEY' }),
  );
  await replicasSettled(homeSecrets, here, ['keyrot/alice']);
  return { home, here, unmanagedId: unmanaged.id! };
}

const ownedFinding = (credential: string) =>
  expect.objectContaining({
    kind: 'owned-in-region',
    credential,
    message: expect.stringContaining(`owned in ${HOME}, its home region`) as string,
  });

describe('a credential owned in another region, seen by this region’s stack', () => {
  it('a replica made by hand with everything due: the run changes nothing here and reports it once', async () => {
    const { here, unmanagedId } = await replicatedByHand();
    const before = await regionState(here);
    expect(before.secrets.map((s) => [s.name, s.primaryRegion])).toEqual([['keyrot/alice', HOME]]);

    const run = await here.run(400);
    // The region's own hygiene goes on (the control): the unused key nobody manages is disabled.
    expect(
      run.outcomes.map((o) => [o.action.kind, 'keyId' in o.action ? o.action.keyId : undefined, o.status]),
    ).toEqual([['disable-key', unmanagedId, 'done']]);
    const after = await regionState(here);
    expect(after.keys.find((k) => k.id === unmanagedId)?.enabled).toBe(false);
    expect(withoutKey(after, unmanagedId)).toEqual(withoutKey(before, unmanagedId));
    const aboutAlice = run.report.findings.filter((f) => f.credential === 'alice');
    expect(aboutAlice).toEqual([ownedFinding('alice')]);
    expect(run.report.keys.filter((r) => r.credential === 'alice').map((r) => r.state)).toEqual([
      'disabled',
      'retiring',
      'active',
    ]);
  });

  it('a credential the home stack onboarded in both regions, rotated and retired: touched in neither region', async () => {
    const home = new World(
      parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 }, replicaRegions: [HERE] }),
    );
    const here = hereWorld(home);
    const homePlans = await createPlans(home.raw().apigw, ['gold']);
    const herePlans = await createPlans(here.raw().apigw, ['gold-eu']);
    await onboardCredential(
      { ...home.clients(), config: home.config, now: dayAt(0), regionalApis: home.regionalApis() },
      { credential: 'acme', usagePlanIds: homePlans, regions: [{ region: HERE, usagePlanIds: herePlans }] },
    );
    const rotated = await home.run(90);
    expect(rotated.outcomes.map((o) => [o.action.kind, o.status])).toContainEqual(['rotate', 'done']);
    // Day 105, past the grace: the home stack disables generation 1 in both regions.
    const retired = await home.run(105);
    const disabled = retired.outcomes.filter((o) => o.action.kind === 'disable-key' && o.status === 'done');
    expect(disabled).toHaveLength(2);
    // Someone deletes generation 1 here by hand; at home it stays disabled for its window (I3).
    const generation = <K extends { tags: Record<string, string> }>(keys: K[], g: string) =>
      keys.find((k) => k.tags['rotation:generation'] === g);
    const hereOld = generation(await readKeys(here.raw().apigw), '1');
    await here.raw().apigw.send(new DeleteApiKeyCommand({ apiKey: hereOld!.id }));
    await replicasSettled(home.raw().secrets, here, ['keyrot/acme']);
    const homeKeys = async () => (await readKeys(home.raw().apigw)).map(({ value: _, ...key }) => key);
    const before = { here: await regionState(here), home: await homeKeys() };
    expect(generation(before.home, '1')?.enabled).toBe(false);

    // This stack names us-east-1 among its replicaRegions too (one configuration for every region).
    const run = await here.run(120);
    expect(run.plan.actions).toEqual([]);
    expect(run.outcomes).toEqual([]);
    expect({ here: await regionState(here), home: await homeKeys() }).toEqual(before);
    expect(run.report.findings).toEqual([ownedFinding('acme')]);
  });

  it('on-call commands for it refuse here, naming its home region; rotate --all skips it', async () => {
    const { here, unmanagedId } = await replicatedByHand();
    const before = await regionState(here);
    const now = ['--now', dayAt(400).toISOString()];

    const planned = await here.cli(['plan', ...now, '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const dry = JSON.parse(planned.stdout) as {
      actions: { keyId?: string }[];
      findings: { credential?: string }[];
    };
    expect(dry.actions.map((a) => a.keyId)).toEqual([unmanagedId]);
    expect(dry.findings.filter((f) => f.credential === 'alice')).toEqual([ownedFinding('alice')]);

    const refusal = `credential alice is owned in ${HOME}`;
    for (const args of [
      ['rotate', 'alice', ...now],
      ['rotate', 'alice', '--grace', '0', '--yes', ...now],
      ['rollback', 'alice', ...now],
      ['suspend', 'alice', '--reason', 'invoice 4711 unpaid', '--yes', ...now],
      ['resume', 'alice', ...now],
      ['onboard', 'alice', '--plan', 'no-such-plan', ...now],
    ]) {
      const out = await here.cli(args);
      expect({ args, code: out.code }).toEqual({ args, code: 2 });
      expect(out.stderr).toContain(refusal);
      expect(out.stderr).toContain(`run it in ${HOME}, the credential's home region`);
    }
    const all = await here.cli(['rotate', '--all', ...now, '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({
      selected: 0,
      skipped: [{ credential: 'alice', why: expect.stringContaining(`owned in ${HOME}`) as string }],
    });
    expect(await regionState(here)).toEqual(before);
  });
});
