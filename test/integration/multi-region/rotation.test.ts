/**
 * One credential in two regions (issue 27, docs/multi-region.md): its secret is primary in us-east-1 (home)
 * with a replica in eu-west-1, and each region has a key with the value AWSCURRENT names. Rotations
 * run with the home region's steps; what is checked is read with plain SDK calls in each region.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { SdkPlugin } from '../../../functions/commons/clients.js';
import { parseConfig } from '../../../functions/core/config.js';
import { METRIC } from '../../../functions/core/metrics.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { accountPlugin, seedUsage } from '../../support/emulator-account.js';
import { createPlans, dayAt, readAwsState, readKeys, World, type KeyState } from '../../support/world.js';

const OTHER = 'eu-west-1';

async function setUp() {
  const world = new World(
    parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 }, replicaRegions: [OTHER] }),
  );
  const homePlans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  const otherPlans = await createPlans(world.rawApigw(OTHER), ['gold-eu']);
  await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0), regionalApis: world.regionalApis() },
    { credential: 'acme', usagePlanIds: homePlans, regions: [{ region: OTHER, usagePlanIds: otherPlans }] },
  );
  return { world, homePlans, otherPlans };
}

/** AWSCURRENT's value as the home region's secret has it. */
async function currentValue(world: World): Promise<string> {
  const state = await readAwsState(world);
  const value = state.secrets.find((s) => s.credential === 'acme')?.currentValue;
  if (value === undefined) throw new Error('acme has no AWSCURRENT value');
  return value;
}

/** I1 in one region: an enabled key with the value, in every plan the credential has there. */
function acceptedBy(keys: KeyState[], value: string, planIds: string[]): boolean {
  return keys.some((k) => k.value === value && k.enabled && planIds.every((p) => k.planIds.includes(p)));
}

/** Fails every API Gateway call signed for `region` (a 500 from that region's endpoint). */
function regionDown(region: string): SdkPlugin {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next) => async (args) => {
          const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
          if ((headers.authorization ?? '').includes(`/${region}/apigateway/`)) {
            throw Object.assign(new Error(`Internal server error (injected in ${region})`), {
              name: 'InternalServerError',
              $fault: 'server',
              $metadata: { httpStatusCode: 500 },
            });
          }
          return next(args);
        },
        { step: 'deserialize', name: 'keyrotRegionDown', override: true },
      );
    },
  };
}

/** Fails GetUsage signed for `region` (a 500), every other call answers. */
function usageDown(region: string): SdkPlugin {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next) => async (args) => {
          const request = args.request as { path?: string; headers?: Record<string, string> };
          const signed = (request.headers?.authorization ?? '').includes(`/${region}/apigateway/`);
          if (signed && /^\/usageplans\/[^/]+\/usage$/.test(request.path ?? '')) {
            throw Object.assign(new Error(`Internal server error (injected GetUsage in ${region})`), {
              name: 'InternalServerError',
              $fault: 'server',
              $metadata: { httpStatusCode: 500 },
            });
          }
          return next(args);
        },
        { step: 'deserialize', name: 'keyrotUsageDown', override: true },
      );
    },
  };
}

/** A simulated day as GetUsage dates it. */
const usageDay = (day: number) => dayAt(day).toISOString().slice(0, 10);

describe('a credential in two regions', () => {
  it('onboards one value in both regions and a replica of its secret', async () => {
    const { world, homePlans, otherPlans } = await setUp();
    const value = await currentValue(world);
    expect(acceptedBy(await readKeys(world.raw().apigw), value, homePlans)).toBe(true);
    expect(acceptedBy(await readKeys(world.rawApigw(OTHER)), value, otherPlans)).toBe(true);
    const secret = await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
    expect(secret.ReplicationStatus?.map((r) => r.Region)).toEqual([OTHER]);
  });

  it('rotates both regions before AWSCURRENT moves; the old key keeps working in both for the grace', async () => {
    const { world, homePlans, otherPlans } = await setUp();
    const before = await currentValue(world);
    const run = await world.run(90);
    expect(run.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    const after = await currentValue(world);
    expect(after).not.toBe(before);
    const home = await readKeys(world.raw().apigw);
    const other = await readKeys(world.rawApigw(OTHER));
    for (const [keys, plans] of [
      [home, homePlans],
      [other, otherPlans],
    ] as const) {
      expect(acceptedBy(keys, after, plans)).toBe(true);
      expect(acceptedBy(keys, before, plans)).toBe(true);
      expect(keys.find((k) => k.value === after)?.tags).toMatchObject({
        'rotation:credential': 'acme',
        'rotation:generation': '2',
      });
    }
    // A consumer in eu-west-1 reads the replica: it follows the primary within seconds.
    const replica = new SecretsManagerClient({
      region: OTHER,
      endpoint: world.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    replica.middlewareStack.use(accountPlugin(world.accountId));
    await expect
      .poll(
        async () =>
          (
            JSON.parse(
              (await replica.send(new GetSecretValueCommand({ SecretId: 'keyrot/acme' }))).SecretString ??
                '{}',
            ) as { apiKey?: string }
          ).apiKey,
        { timeout: 10_000, interval: 250 },
      )
      .toBe(after);
  });

  it('a region failing during setSecret leaves AWSCURRENT on a value both accept; the rotation finishes once it recovers', async () => {
    const { world, homePlans, otherPlans } = await setUp();
    const before = await currentValue(world);
    const failed = await world.run(90, [regionDown(OTHER)]);
    expect(
      failed.outcomes.some((o) => o.status === 'failed' && /eu-west-1/.test(o.error?.message ?? '')),
    ).toBe(true);
    expect(await currentValue(world)).toBe(before);
    expect(acceptedBy(await readKeys(world.rawApigw(OTHER)), before, otherPlans)).toBe(true);
    expect(acceptedBy(await readKeys(world.raw().apigw), before, homePlans)).toBe(true);

    const recovered = await world.run(91);
    expect(recovered.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    const after = await currentValue(world);
    expect(after).not.toBe(before);
    expect(acceptedBy(await readKeys(world.rawApigw(OTHER)), after, otherPlans)).toBe(true);
    expect(acceptedBy(await readKeys(world.raw().apigw), after, homePlans)).toBe(true);
  });

  it('retires the old key in both regions: disabled after the grace, deleted after the window; an unreachable region waits alone', async () => {
    const { world } = await setUp();
    const old = await currentValue(world);
    await world.run(90);
    const oldKey = async (apigw: Parameters<typeof readKeys>[0]) =>
      (await readKeys(apigw)).find((k) => k.value === old);
    // The 90d policy: 14 days of grace, then 30 disabled. eu-west-1 is down when the grace ends.
    const down = await world.run(105, [regionDown(OTHER)]);
    expect((await oldKey(world.raw().apigw))?.enabled).toBe(false);
    expect((await oldKey(world.rawApigw(OTHER)))?.enabled).toBe(true);
    expect(down.plan.findings.find((f) => f.kind === 'read-failed')?.message).toMatch(/^region eu-west-1: /);
    const caughtUp = await world.run(106);
    expect((await oldKey(world.rawApigw(OTHER)))?.enabled).toBe(false);
    expect(caughtUp.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    await world.run(136);
    expect(await oldKey(world.raw().apigw)).toBeUndefined();
    expect(await oldKey(world.rawApigw(OTHER))).toBeUndefined();
    // The current key stays, in both.
    const now = await currentValue(world);
    expect((await readKeys(world.rawApigw(OTHER))).map((k) => k.value)).toEqual([now]);
    expect((await readKeys(world.raw().apigw)).map((k) => k.value)).toEqual([now]);
  });

  it("a consumer still on the old key in eu-west-1 only postpones its retirement in both regions; once it stopped, the key retires in both at the policy's limit", async () => {
    const { world, otherPlans } = await setUp();
    const old = await currentValue(world);
    await world.run(90);
    const oldKey = async (apigw: Parameters<typeof readKeys>[0]) =>
      (await readKeys(apigw)).find((k) => k.value === old);
    const euOld = (await oldKey(world.rawApigw(OTHER)))!;
    // The 90d policy: its grace ends on day 104. The consumer in eu-west-1 sends the old value on 104
    // and 105, then moves to the current key; nothing uses the old key in us-east-1.
    await seedUsage(
      world.accountId,
      OTHER,
      [104, 105].map((day) => ({
        usagePlanId: otherPlans[0]!,
        keyId: euOld.id,
        date: usageDay(day),
        used: 40,
      })),
    );
    const waiting = await world.run(105);
    expect((await oldKey(world.raw().apigw))?.enabled).toBe(true);
    expect((await oldKey(world.rawApigw(OTHER)))?.enabled).toBe(true);
    const postponed = waiting.plan.findings.find((f) => f.kind === 'retiring-key-in-use');
    expect(postponed).toMatchObject({ action: 'wait', credential: 'acme' });
    expect(postponed?.message).toMatch(new RegExp(`took requests on ${usageDay(105)} in ${OTHER}`));
    expect(waiting.metrics.find((m) => m.name === METRIC.retirementsPostponed)?.value).toBe(1);
    // A request after the grace holds the retirement up to retirementDelayDays (7), as at home.
    await world.run(108);
    expect((await oldKey(world.rawApigw(OTHER)))?.enabled).toBe(true);
    expect((await oldKey(world.raw().apigw))?.enabled).toBe(true);
    // The dry run names the region of the eu-west-1 key it would disable.
    const planned = await world.cli(['plan', '--now', dayAt(112).toISOString()]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(new RegExp(`disable-key +${euOld.id} \\(${OTHER}\\) `));
    const retired = await world.run(112);
    expect((await oldKey(world.raw().apigw))?.enabled).toBe(false);
    expect((await oldKey(world.rawApigw(OTHER)))?.enabled).toBe(false);
    expect(retired.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    // The current key stays enabled in both.
    const now = await currentValue(world);
    for (const apigw of [world.raw().apigw, world.rawApigw(OTHER)])
      expect((await readKeys(apigw)).filter((k) => k.enabled).map((k) => k.value)).toEqual([now]);

    // The run's metrics count the eu-west-1 key with its region, and in the totals the alarms watch.
    const cloudwatch = new CloudWatchClient({
      region: world.region,
      endpoint: world.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    cloudwatch.middlewareStack.use(accountPlugin(world.accountId));
    const sum = async (name: string, region?: string) =>
      (
        (
          await cloudwatch.send(
            new GetMetricStatisticsCommand({
              Namespace: world.config.metricNamespace,
              MetricName: name,
              StartTime: dayAt(111),
              EndTime: dayAt(113),
              Period: 60,
              Statistics: ['Sum'],
              ...(region !== undefined && { Dimensions: [{ Name: 'Region', Value: region }] }),
            }),
          )
        ).Datapoints ?? []
      ).reduce((t, p) => t + (p.Sum ?? 0), 0);
    expect(await sum(METRIC.keysDisabled, OTHER)).toBe(1);
    expect(
      retired.metrics.filter((m) => m.name === METRIC.keysDisabled).map((m) => [m.value, m.dimensions]),
    ).toEqual([
      [2, undefined],
      [1, { Region: OTHER }],
    ]);
    // The report names the region of each key acted on.
    expect(
      retired.report.actions
        .filter((a) => a.kind === 'disable-key')
        .map((a) => a.region)
        .sort(),
    ).toEqual([OTHER, 'us-east-1']);
  });

  it('a region whose usage cannot be read is a finding naming it, and hides no request read elsewhere', async () => {
    const { world, homePlans, otherPlans } = await setUp();
    const old = await currentValue(world);
    await world.run(90);
    const homeOld = (await readKeys(world.raw().apigw)).find((k) => k.value === old)!;
    const euOld = (await readKeys(world.rawApigw(OTHER))).find((k) => k.value === old)!;
    await seedUsage(world.accountId, world.region, [
      { usagePlanId: homePlans[0]!, keyId: homeOld.id, date: usageDay(104), used: 5 },
    ]);
    await seedUsage(world.accountId, OTHER, [
      { usagePlanId: otherPlans[0]!, keyId: euOld.id, date: usageDay(105), used: 5 },
    ]);
    const run = await world.run(105, [usageDown(OTHER)]);
    expect(run.plan.findings.filter((f) => f.kind === 'read-failed').map((f) => f.message)).toEqual([
      expect.stringMatching(/^region eu-west-1: usage \(GetUsage\) could not be read/),
    ]);
    // The home region's requests still hold the retirement, in both regions.
    expect(run.plan.findings.find((f) => f.kind === 'retiring-key-in-use')?.message).toMatch(
      new RegExp(`took requests on ${usageDay(104)};`),
    );
    for (const apigw of [world.raw().apigw, world.rawApigw(OTHER)])
      expect((await readKeys(apigw)).find((k) => k.value === old)?.enabled).toBe(true);
  });

  it('a suspension cuts the consumer off in both regions; resume lets it back in both', async () => {
    const { world } = await setUp();
    await world.run(90);
    const enabled = async (apigw: Parameters<typeof readKeys>[0]) =>
      (await readKeys(apigw)).filter((k) => k.enabled).length;
    expect(await enabled(world.rawApigw(OTHER))).toBe(2);
    const suspended = await world.cli([
      'suspend',
      'acme',
      '--reason',
      'invoice unpaid',
      '--now',
      dayAt(91).toISOString(),
      '--yes',
    ]);
    expect(suspended.code, suspended.stderr).toBe(0);
    expect(await enabled(world.raw().apigw)).toBe(0);
    expect(await enabled(world.rawApigw(OTHER))).toBe(0);
    const resumed = await world.cli(['resume', 'acme', '--now', dayAt(92).toISOString()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const value = await currentValue(world);
    for (const apigw of [world.raw().apigw, world.rawApigw(OTHER)])
      expect((await readKeys(apigw)).filter((k) => k.enabled).map((k) => k.value)).toEqual([value]);
  });

  it("one configuration for every region (a StackSet's): the stack's own region in replicaRegions is no replica of itself", async () => {
    const { world, homePlans, otherPlans } = await setUp();
    world.config = { ...world.config, replicaRegions: ['us-east-1', OTHER] };
    const before = await currentValue(world);
    await world.run(90);
    const retired = await world.run(105);
    // Each key is retired once, in its own region.
    const keyActions = retired.plan.actions.filter((a) => a.kind === 'disable-key');
    expect(keyActions.map((a) => ('region' in a ? (a.region ?? 'home') : 'home')).sort()).toEqual([
      OTHER,
      'home',
    ]);
    const after = await currentValue(world);
    expect(acceptedBy(await readKeys(world.raw().apigw), after, homePlans)).toBe(true);
    expect(acceptedBy(await readKeys(world.rawApigw(OTHER)), after, otherPlans)).toBe(true);
    expect((await readKeys(world.rawApigw(OTHER))).find((k) => k.value === before)?.enabled).toBe(false);
  });

  it('refuses to rotate a credential with a replica in a region the stack does not drive', async () => {
    const { world } = await setUp();
    world.config = { ...world.config, replicaRegions: [] };
    const before = await currentValue(world);
    const run = await world.run(90);
    const failure = run.outcomes.find((o) => o.status === 'failed');
    expect(failure?.error?.message).toMatch(
      /replica in eu-west-1, which is not one of this stack's replicaRegions/,
    );
    expect(await currentValue(world)).toBe(before);
    expect((await readKeys(world.rawApigw(OTHER))).length).toBe(1);
  });
});
