/**
 * What a user sees of a credential in two regions (docs/multi-region.md): the run report's key rows of
 * both regions (JSON and CSV), the `unused` check counting eu-west-1's requests, `RetirementsPostponed`
 * per region read with the plain CloudWatch SDK, and the `replication-failed` finding once eu-west-1's
 * stack key is disabled, in the report and in Security Hub (plain SDK).
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { EnableSecurityHubCommand, GetFindingsCommand } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config.js';
import { METRIC } from '../../../functions/core/metrics.js';
import { secretsKeyAlias } from '../../../functions/core/secrets-key-alias.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { reportToCsv } from '../../../functions/report/csv.js';
import { accountPlugin, seedUsage } from '../../support/emulator-account.js';
import { createPlans, dayAt, readKeys, World } from '../../support/world.js';

const HOME = 'us-east-1';
const OTHER = 'eu-west-1';
const usageDay = (day: number) => dayAt(day).toISOString().slice(0, 10);

async function setUp(extra: Record<string, unknown> = {}) {
  const world = new World(
    parseConfig({ staggerPercent: 0, pacing: { quotaScale: 8 }, replicaRegions: [OTHER], ...extra }),
  );
  const homePlans = await createPlans(world.raw().apigw, ['gold']);
  const otherPlans = await createPlans(world.rawApigw(OTHER), ['gold-eu']);
  await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0), regionalApis: world.regionalApis() },
    { credential: 'acme', usagePlanIds: homePlans, regions: [{ region: OTHER, usagePlanIds: otherPlans }] },
  );
  return { world, homePlans, otherPlans };
}

function plain<T extends { middlewareStack: { use(p: unknown): void } }>(
  world: World,
  make: (config: object) => T,
  region = HOME,
): T {
  const client = make({
    region,
    endpoint: world.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  client.middlewareStack.use(accountPlugin(world.accountId));
  return client;
}

describe('a credential in two regions, as a user sees it', () => {
  it("the run report's key rows are both regions' keys, each with its region, in JSON and CSV", async () => {
    const { world } = await setUp();
    await world.run(90);
    const homeKeys = await readKeys(world.raw().apigw);
    const euKeys = await readKeys(world.rawApigw(OTHER));
    // The grace of the 90d policy ended on day 104: the old key is disabled in both regions.
    const run = await world.run(105);
    const rows = run.report.keys.filter((r) => r.credential === 'acme');
    const seen = (region: string) =>
      rows
        .filter((r) => r.region === region)
        .map((r) => [r.keyId, r.generation, r.state, r.action])
        .sort();
    const expected = (keys: typeof homeKeys) =>
      keys
        .map((k) => {
          const generation = Number(k.tags['rotation:generation']);
          return generation === 1 ? [k.id, 1, 'disabled', 'disable-key'] : [k.id, 2, 'active', null];
        })
        .sort();
    expect(seen(HOME)).toEqual(expected(homeKeys));
    expect(seen(OTHER)).toEqual(expected(euKeys));
    // The counts of keys stay the run's region's.
    expect(run.report.totals).toMatchObject({
      keys: homeKeys.length,
      managedKeys: 2,
      credentials: 1,
      disabled: 2,
    });
    // CSV: the region is the last column; the key id the second (after the run id).
    const [header, ...lines] = reportToCsv(run.report).trim().split('\r\n');
    expect(header?.split(',').slice(0, 2)).toEqual(['runId', 'keyId']);
    expect(header?.endsWith(',region')).toBe(true);
    expect(
      lines
        .filter((l) => l.endsWith(`,${OTHER}`))
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual(euKeys.map((k) => k.id).sort());
    // No key value anywhere in the report.
    const values = [...homeKeys, ...euKeys].map((k) => k.value);
    const text = JSON.stringify(run.report) + reportToCsv(run.report);
    expect(values.filter((v) => v !== undefined && text.includes(v))).toEqual([]);
  });

  it('the current key is not unused at home while its consumer calls eu-west-1 only', async () => {
    const { world, otherPlans } = await setUp({ hygiene: { unused: { days: 30 } } });
    const unused = (run: Awaited<ReturnType<World['run']>>) =>
      run.plan.findings.filter((f) => f.kind === 'unused' && f.credential === 'acme');
    // Nobody called either region's key: unused.
    expect(unused(await world.run(40))).toHaveLength(1);
    const [euKey] = await readKeys(world.rawApigw(OTHER));
    await seedUsage(world.accountId, OTHER, [
      { usagePlanId: otherPlans[0]!, keyId: euKey!.id, date: usageDay(41), used: 25 },
    ]);
    expect(unused(await world.run(42))).toEqual([]);
  });

  it('RetirementsPostponed counts a retirement held by requests in eu-west-1 with Region=eu-west-1', async () => {
    const { world, otherPlans } = await setUp();
    await world.run(90);
    const euOld = (await readKeys(world.rawApigw(OTHER))).find((k) => k.tags['rotation:generation'] === '1')!;
    await seedUsage(world.accountId, OTHER, [
      { usagePlanId: otherPlans[0]!, keyId: euOld.id, date: usageDay(105), used: 40 },
    ]);
    const run = await world.run(105);
    const cloudwatch = plain(world, (c) => new CloudWatchClient(c));
    const sum = async (dimensions: { Name: string; Value: string }[]) =>
      (
        (
          await cloudwatch.send(
            new GetMetricStatisticsCommand({
              Namespace: world.config.metricNamespace,
              MetricName: METRIC.retirementsPostponed,
              StartTime: dayAt(104),
              EndTime: dayAt(106),
              Period: 60,
              Statistics: ['Sum'],
              Dimensions: dimensions,
            }),
          )
        ).Datapoints ?? []
      ).reduce((t, p) => t + (p.Sum ?? 0), 0);
    expect(await sum([{ Name: 'Region', Value: OTHER }])).toBe(1);
    // The total the alarm watches, as before.
    expect(
      run.metrics.filter((m) => m.name === METRIC.retirementsPostponed).map((m) => [m.value, m.dimensions]),
    ).toEqual([
      [1, undefined],
      [1, { Region: OTHER }],
    ]);
  });

  it("a replica that failed to replicate (eu-west-1's stack key disabled) is a finding naming the credential and region, in Security Hub too", async () => {
    const { world } = await setUp({ securityHub: { enabled: true } });
    await world.clients().securityhub.send(new EnableSecurityHubCommand({}));
    expect((await world.run(1)).plan.findings.filter((f) => f.kind === 'replication-failed')).toEqual([]);
    const kms = world.rawKms(OTHER);
    const key = await kms.send(new DescribeKeyCommand({ KeyId: secretsKeyAlias(world.config.secretPrefix) }));
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyMetadata!.KeyId! }));
    // The rotation's new value can't be encrypted in eu-west-1: the replica keeps the old one.
    await world.run(90);
    const primary = await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
    expect(primary.ReplicationStatus?.map((r) => [r.Region, r.Status])).toEqual([[OTHER, 'Failed']]);
    const replica = plain(world, (c) => new SecretsManagerClient(c), OTHER);
    const home = await world.raw().secrets.send(new GetSecretValueCommand({ SecretId: 'keyrot/acme' }));
    const there = await replica.send(new GetSecretValueCommand({ SecretId: 'keyrot/acme' }));
    expect(there.VersionId).not.toBe(home.VersionId);

    const run = await world.run(91);
    const found = run.report.findings.filter((f) => f.kind === 'replication-failed');
    expect(found).toEqual([expect.objectContaining({ credential: 'acme', region: OTHER })]);
    expect(found[0]?.message).toMatch(/credential acme: .*eu-west-1 failed to replicate \(.*Disabled/);
    const hub = await world.clients().securityhub.send(
      new GetFindingsCommand({
        Filters: { GeneratorId: [{ Value: 'keyrot/replication-failed', Comparison: 'EQUALS' }] },
      }),
    );
    expect(hub.Findings?.map((f) => [f.Severity?.Label, f.RecordState])).toEqual([['HIGH', 'ACTIVE']]);
    expect(hub.Findings?.[0]?.Description).toContain(OTHER);
    expect(hub.Findings?.[0]?.Remediation?.Recommendation?.Text).toContain(
      'multi-region.md#replication-failed',
    );
  });
});
