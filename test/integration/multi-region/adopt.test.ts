/**
 * Adopting keys that already share a value across regions (issue 27, docs/multi-region.md): one key
 * value imported into us-east-1 and eu-west-1, `unmanaged.action: adopt` in both regions' stacks, one
 * configuration for both (replicaRegions us-east-1 then eu-west-1). Only us-east-1's stack adopts, both
 * keys at once, into one two-region credential; eu-west-1's defers, then sees it owned in us-east-1.
 * What is checked is read with plain SDK calls in each region.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { DescribeSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { secretsKeyAlias } from '../../../functions/core/secrets-key-alias.js';
import type { RunResult } from '../../../functions/reconcile/run.js';
import { crashAfter, SimulatedCrash } from '../../support/faults.js';
import { createPlans, dayAt, leakedValues, readAwsState, readKeys, World } from '../../support/world.js';

const HOME = 'us-east-1';
const OTHER = 'eu-west-1';

/** The one configuration every region's stack is deployed with (a StackSet). */
const config = parseConfig({
  staggerPercent: 0,
  pacing: { quotaScale: 8 },
  hygiene: { unmanaged: { action: 'adopt' }, unused: { action: 'report' } },
  replicaRegions: [HOME, OTHER],
});

/** The stacks of both regions, in one account, each region with a usage plan. */
async function regions() {
  const home = new World(config);
  const other = new World(config, { region: OTHER, accountId: home.accountId });
  const [homePlan] = await createPlans(home.raw().apigw, ['gold']);
  const [otherPlan] = await createPlans(other.raw().apigw, ['gold-eu']);
  return { home, other, homePlan: homePlan!, otherPlan: otherPlan! };
}

/** An unmanaged key made with a chosen value (ImportApiKeys' and CreateApiKey's way), in a plan. */
async function importedKey(apigw: APIGatewayClient, name: string, value: string, plan: string) {
  const key = await apigw.send(new CreateApiKeyCommand({ name, value, enabled: true }));
  await apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId: key.id, keyType: 'API_KEY' }));
  return key.id!;
}

const newValue = () => randomBytes(24).toString('hex');
const kinds = (run: RunResult) => run.plan.actions.map((a) => a.kind);
const failures = (run: RunResult) => run.outcomes.filter((o) => o.status === 'failed');
const findingsOf = (run: RunResult, kind: string) => run.plan.findings.filter((f) => f.kind === kind);
const tagsOf = (described: { Tags?: { Key?: string; Value?: string }[] }) =>
  Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]));

/** `keyrot plan --json` of a region's stack on simulated day `day`; its output holds no value. */
async function planOf(world: World, day: number) {
  const out = await world.cli(['plan', '--json', '--now', dayAt(day).toISOString()]);
  expect(out.code, out.stderr).toBe(0);
  const values = (await readKeys(world.raw().apigw)).map((k) => k.value);
  expect(leakedValues(values, [out.stdout, out.stderr])).toEqual([]);
  return JSON.parse(out.stdout) as {
    actions: Record<string, unknown>[];
    findings: { kind: string; keyId?: string }[];
  };
}

/** I4: no value in anything the runs said (plans, findings, outcomes, reports, log lines). */
function leaked(values: string[], worlds: World[], runs: RunResult[]) {
  const texts = [
    ...worlds.flatMap((w) => w.logs),
    ...runs.map((r) => JSON.stringify({ plan: r.plan, outcomes: r.outcomes, report: r.report })),
  ];
  return leakedValues(values, texts);
}

/** Every enabled key of a region with `value` is in `plan` (I1 there). */
async function accepted(apigw: APIGatewayClient, value: string, plan: string) {
  return (await readKeys(apigw)).some((k) => k.value === value && k.enabled && k.planIds.includes(plan));
}

/** The adopted credential, as plain SDK calls read it in both regions. */
async function adopted(home: World, other: World, homeKey: string, otherKey: string) {
  const homeKeys = await readKeys(home.raw().apigw);
  const otherKeys = await readKeys(other.raw().apigw);
  const here = homeKeys.find((k) => k.id === homeKey)!;
  const there = otherKeys.find((k) => k.id === otherKey)!;
  const credential = here.tags['rotation:credential']!;
  const described = await home
    .raw()
    .secrets.send(new DescribeSecretCommand({ SecretId: `keyrot/${credential}` }));
  return { here, there, credential, described, tags: tagsOf(described) };
}

describe('keys that share a value across regions', () => {
  it("are adopted by the first region's stack only, into one credential rotated in both regions", async () => {
    const { home, other, homePlan, otherPlan } = await regions();
    const value = newValue();
    const homeKey = await importedKey(home.raw().apigw, 'partner-app', value, homePlan);
    const otherKey = await importedKey(other.raw().apigw, 'partner-app', value, otherPlan);

    // keyrot plan shows each region's decision, as its run takes it.
    const [homePlanned, otherPlanned] = await Promise.all([planOf(home, 1), planOf(other, 1)]);
    expect(homePlanned.actions).toEqual([
      expect.objectContaining({
        kind: 'adopt-key',
        keyId: homeKey,
        regions: [{ region: OTHER, keyId: otherKey }],
      }),
    ]);
    expect(otherPlanned.actions).toEqual([]);
    expect(otherPlanned.findings.map((f) => [f.kind, f.keyId])).toEqual([['adoption-deferred', otherKey]]);

    // eu-west-1's stack first: us-east-1 comes before it and holds the value, so it defers and writes nothing.
    other.recorder.reset();
    const deferred = await other.run(1);
    expect(kinds(deferred)).not.toContain('adopt-key');
    expect(findingsOf(deferred, 'adoption-deferred')).toEqual([
      expect.objectContaining({ keyId: otherKey, action: 'report' }),
    ]);
    expect(findingsOf(deferred, 'adoption-deferred')[0]!.message).toContain(`key ${homeKey} in ${HOME}`);
    expect(other.recorder.writes().filter((c) => !c.command.startsWith('Put'))).toEqual([]);
    expect((await readKeys(other.raw().apigw))[0]!.tags).toEqual({});

    // us-east-1's stack adopts both keys at once.
    const run = await home.run(1);
    expect(failures(run)).toEqual([]);
    expect(run.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['adopt-key:done']);
    const a = await adopted(home, other, homeKey, otherKey);
    expect(a.described.ReplicationStatus).toMatchObject([
      { Region: OTHER, KmsKeyId: secretsKeyAlias('keyrot/'), Status: 'InSync' },
    ]);
    expect(a.there.tags).toEqual(a.here.tags);
    const version = a.here.tags['rotation:version']!;
    expect(a.tags['rotation:rotation-region-keys']).toBe(`${version} ${OTHER}=${otherKey}`);
    expect(a.tags['rotation:adopted-key']).toBe(homeKey);
    expect((await readAwsState(home)).secrets.find((s) => s.credential === a.credential)?.currentValue).toBe(
      value,
    );
    // A consumer in eu-west-1 reads the replica there, and only one secret exists.
    expect(
      (await other.raw().secrets.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name),
    ).toEqual([`keyrot/${a.credential}`]);

    // eu-west-1's stack again: a credential owned in us-east-1, nothing adopted.
    const after = await other.run(2);
    expect(kinds(after)).toEqual([]);
    expect(findingsOf(after, 'owned-in-region')).toEqual([
      expect.objectContaining({ credential: a.credential }),
    ]);
    expect(findingsOf(after, 'adoption-deferred')).toEqual([]);

    // The scheduled rotation gives both regions the new value before AWSCURRENT moves.
    const rotated = await home.run(91);
    expect(failures(rotated)).toEqual([]);
    const next = (await readAwsState(home)).secrets.find((s) => s.credential === a.credential)?.currentValue;
    expect(next).toBeDefined();
    expect(next).not.toBe(value);
    expect(await accepted(home.raw().apigw, next!, homePlan)).toBe(true);
    expect(await accepted(other.raw().apigw, next!, otherPlan)).toBe(true);

    expect(leaked([value, next!], [home, other], [deferred, run, after, rotated])).toEqual([]);
  });

  it('with the same name but different values: each region adopts its own, with a finding', async () => {
    const { home, other, homePlan, otherPlan } = await regions();
    const homeKey = await importedKey(home.raw().apigw, 'billing', newValue(), homePlan);
    const otherKey = await importedKey(other.raw().apigw, 'billing', newValue(), otherPlan);

    const run = await home.run(1);
    expect(failures(run)).toEqual([]);
    expect(findingsOf(run, 'region-namesake')).toEqual([
      expect.objectContaining({ keyId: homeKey, action: 'adopt' }),
    ]);
    expect(findingsOf(run, 'region-namesake')[0]!.message).toContain(`${otherKey} in ${OTHER}`);
    expect(run.plan.actions).toEqual([expect.objectContaining({ kind: 'adopt-key', keyId: homeKey })]);
    expect(run.plan.actions[0]).not.toHaveProperty('regions');

    const theirs = await other.run(1);
    expect(failures(theirs)).toEqual([]);
    expect(theirs.plan.actions).toEqual([expect.objectContaining({ kind: 'adopt-key', keyId: otherKey })]);

    // Two credentials, each with a secret of its own region and no replica.
    for (const world of [home, other]) {
      const described = await world
        .raw()
        .secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/billing' }));
      expect(described.ReplicationStatus ?? []).toEqual([]);
      expect(tagsOf(described)['rotation:rotation-region-keys']).toBeUndefined();
    }
    expect((await readKeys(home.raw().apigw))[0]!.tags['rotation:credential']).toBe('billing');
    expect((await readKeys(other.raw().apigw))[0]!.tags['rotation:credential']).toBe('billing');
  });

  it('a crash after the secret is made is finished by the next run', async () => {
    const { home, other, homePlan, otherPlan } = await regions();
    const value = newValue();
    const homeKey = await importedKey(home.raw().apigw, 'partner-app', value, homePlan);
    const otherKey = await importedKey(other.raw().apigw, 'partner-app', value, otherPlan);

    await expect(home.run(1, [crashAfter('CreateSecretCommand')])).rejects.toThrow(SimulatedCrash);
    // The secret and its replica exist; neither key is tagged yet.
    const made = await home.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/partner-app' }));
    expect(made.ReplicationStatus?.map((r) => r.Region)).toEqual([OTHER]);
    expect((await readKeys(home.raw().apigw))[0]!.tags).toEqual({});
    expect((await readKeys(other.raw().apigw))[0]!.tags).toEqual({});

    // eu-west-1's stack in between still defers: the key here is still unmanaged.
    const between = await other.run(1);
    expect(kinds(between)).not.toContain('adopt-key');

    const finished = await home.run(1);
    expect(failures(finished)).toEqual([]);
    expect(finished.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['adopt-key:done']);
    const a = await adopted(home, other, homeKey, otherKey);
    // Finished on the secret the crashed run made, not on a second one under another name.
    expect(a.credential).toBe('partner-app');
    expect((await readAwsState(home)).secrets.map((s) => s.name)).toEqual(['keyrot/partner-app']);
    expect(a.there.tags).toEqual(a.here.tags);
    expect(a.tags['rotation:rotation-region-keys']).toBe(
      `${a.here.tags['rotation:version']} ${OTHER}=${otherKey}`,
    );
    expect(a.described.ReplicationStatus).toMatchObject([
      { Region: OTHER, KmsKeyId: secretsKeyAlias('keyrot/'), Status: 'InSync' },
    ]);
    expect(a.described.RotationEnabled).toBe(true);
    // Nothing is left to adopt in either region.
    expect(kinds(await home.run(2))).not.toContain('adopt-key');
    expect(kinds(await other.run(2))).toEqual([]);
  });
});
