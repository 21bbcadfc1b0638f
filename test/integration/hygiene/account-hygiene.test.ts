import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { METRIC } from '../../../functions/core/metrics.js';
import { addDays, day } from '../../../functions/core/time.js';
import {
  accountPlugin,
  emulatorEndpoint,
  seedUsage,
  type UsageRecord,
} from '../../support/emulator-account.js';
import { createPlans, dayAt, readAwsState, World } from '../../support/world.js';

// The world's account clock starts on day 0 (API Gateway dates its keys by it): the run is 100 days on.
const NOW = dayAt(100);
const config = parseConfig({
  hygiene: {
    unused: { action: 'disable', days: 90 },
    lingering: { action: 'disable' },
    unmanaged: { action: 'adopt' },
    quota: { limit: 9, headroom: 1 },
  },
});

describe('hygiene on an emulator account with keys of every kind', async () => {
  const world = new World(config);
  const { apigw } = world.raw();
  const [gold, silver] = await createPlans(apigw, ['gold', 'silver']);
  const usage: UsageRecord[] = [];
  const unmanaged = async (name: string, plan?: string, tags?: Record<string, string>) => {
    const key = await apigw.send(new CreateApiKeyCommand({ name, enabled: true, tags }));
    if (plan !== undefined)
      await apigw.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId: key.id, keyType: 'API_KEY' }),
      );
    return key.id ?? '';
  };
  const exemption = (until: Date) => ({
    'rotation:exempt': 'unused unmanaged',
    'rotation:exempt-until': day(until),
    'rotation:exempt-reason': 'quarterly batch job',
  });

  const ids = {
    unused: await unmanaged('nightly-export', gold),
    busy: await unmanaged('mobile-app', gold),
    orphan: await unmanaged('left-behind'),
    lingering: await unmanaged('old-partner', silver),
    exempt: await unmanaged('quarterly-batch', gold, exemption(NOW)),
    expired: await unmanaged('former-batch', gold, exemption(addDays(NOW, -1))),
  };
  await apigw.send(
    new UpdateApiKeyCommand({
      apiKey: ids.lingering,
      patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
    }),
  );
  // Traffic on day N-1 only, for the busy key.
  usage.push({ usagePlanId: gold!, keyId: ids.busy, date: day(addDays(NOW, -1)), used: 3 });

  // Managed: "steady" is current and busy; "stale" is overdue (activated 110 days before the run).
  const steady = await onboardCredential(
    { ...world.clients(), config, now: addDays(NOW, -20) },
    { credential: 'steady', usagePlanIds: [gold!] },
  );
  usage.push({ usagePlanId: gold!, keyId: steady.keyId, date: day(addDays(NOW, -2)), used: 50 });
  await onboardCredential(
    { ...world.clients(), config, now: addDays(NOW, -110) },
    { credential: 'stale', usagePlanIds: [silver!] },
  );
  await seedUsage(world.accountId, world.region, usage);

  const result = await world.runAt(NOW);
  const findings = result.plan.findings
    .map((f) => `${f.kind}:${f.keyId ?? f.credential ?? ''}:${f.action ?? ''}`)
    .sort();
  const state = await readAwsState(world);
  const keyOf = (id: string) => state.keys.find((k) => k.id === id);

  it('gets exactly the expected findings, each with its action', () => {
    const stale = result.report.keys.find((k) => k.credential === 'stale')!.keyId;
    expect(findings).toEqual(
      [
        `unused:${ids.unused}:disable`,
        `unmanaged:${ids.busy}:adopt`,
        `orphaned:${ids.orphan}:report`,
        `unmanaged:${ids.orphan}:adopt`,
        `lingering:${ids.lingering}:delete`,
        `exemption-expired:${ids.expired}:`,
        `unused:${ids.expired}:disable`,
        `overdue:${stale}:report`,
        'quota::report',
        'quota:stale:refuse',
        `unused:${stale}:report`,
      ].sort(),
    );
  });

  it('and takes exactly the expected actions, seen in AWS afterwards', async () => {
    expect(
      result.outcomes
        .map(
          (o) => `${o.action.kind}:${'keyId' in o.action ? o.action.keyId : o.action.credential}:${o.status}`,
        )
        .sort(),
    ).toEqual(
      [
        `adopt-key:${ids.busy}:done`,
        `adopt-key:${ids.orphan}:done`,
        `disable-key:${ids.unused}:done`,
        `disable-key:${ids.expired}:done`,
        `delete-key:${ids.lingering}:done`,
      ].sort(),
    );
    expect(keyOf(ids.unused)).toMatchObject({
      enabled: false,
      tags: { 'rotation:disabled-at': NOW.toISOString() },
    });
    expect(keyOf(ids.expired)?.enabled).toBe(false);
    expect(keyOf(ids.lingering)).toBeUndefined();
    expect(keyOf(ids.exempt)).toMatchObject({ enabled: true });
    expect(keyOf(ids.busy)).toMatchObject({
      enabled: true,
      tags: { 'rotation:credential': 'mobile-app', 'rotation:generation': '1' },
    });
    // Adopted: a secret holds the key's own value and id, rotation is configured.
    const secret = await world
      .raw()
      .secrets.send(new GetSecretValueCommand({ SecretId: 'keyrot/mobile-app', VersionStage: 'AWSCURRENT' }));
    const value = JSON.parse(secret.SecretString ?? '{}');
    const key = await apigw.send(new GetApiKeyCommand({ apiKey: ids.busy, includeValue: true }));
    expect(value).toEqual({ credential: 'mobile-app', apiKey: key.value, apiKeyId: ids.busy });
    expect(
      (await world.raw().secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/mobile-app' })))
        .RotationEnabled,
    ).toBe(true);
  });

  it('the metrics say the same', async () => {
    const cloudwatch = new CloudWatchClient({
      region: world.region,
      endpoint: emulatorEndpoint(),
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    cloudwatch.middlewareStack.use(accountPlugin(world.accountId));
    const sum = async (name: string) => {
      const out = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: config.metricNamespace,
          MetricName: name,
          StartTime: addDays(NOW, -1),
          EndTime: addDays(NOW, 1),
          Period: 60,
          Statistics: ['Sum'],
        }),
      );
      return (out.Datapoints ?? []).reduce((t, p) => t + (p.Sum ?? 0), 0);
    };
    expect({
      unused: await sum('UnusedKeys'),
      orphaned: await sum('OrphanedKeys'),
      lingering: await sum('LingeringKeys'),
      disabled: await sum(METRIC.keysDisabled),
      deleted: await sum(METRIC.keysDeleted),
      adopted: await sum(METRIC.keysAdopted),
      overdue: await sum(METRIC.overdueKeys),
      rotated: await sum(METRIC.keysRotated),
    }).toEqual({
      unused: 3,
      orphaned: 1,
      lingering: 1,
      disabled: 2,
      deleted: 1,
      adopted: 2,
      overdue: 1,
      rotated: 0,
    });
  });

  it('the exempt key is flagged the day after its exemption ends, not before', async () => {
    const onTheDay = await world.runAt(NOW, [], { dryRun: true });
    expect(onTheDay.plan.findings.filter((f) => f.keyId === ids.exempt)).toEqual([]);
    const dayAfter = await world.runAt(addDays(NOW, 1), [], { dryRun: true });
    expect(dayAfter.plan.findings.filter((f) => f.keyId === ids.exempt).map((f) => f.kind)).toEqual([
      'exemption-expired',
      'unused',
    ]);
  });
});
