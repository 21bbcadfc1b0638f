import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { METRIC } from '../../../functions/core/metrics.js';
import { accountPlugin, emulatorEndpoint } from '../../support/emulator-account.js';
import { createPlans, dayAt, World } from '../../support/world.js';

describe('metrics of every run, read back from CloudWatch; quiet runs write nothing', async () => {
  const world = new World();
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  for (const [i, credential] of ['alpha', 'beta', 'gamma'].entries()) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds: [plans[i % 2]!], policy: i === 2 ? '60d' : '30d' },
    );
  }
  const cloudwatch = new CloudWatchClient({
    region: world.region,
    endpoint: emulatorEndpoint(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  cloudwatch.middlewareStack.use(accountPlugin(world.accountId));
  const sum = async (name: string, fromDay: number, toDay: number) => {
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: world.config.metricNamespace,
        MetricName: name,
        StartTime: dayAt(fromDay - 0.5),
        EndTime: dayAt(toDay + 0.5),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    return (out.Datapoints ?? []).reduce((total, p) => total + (p.Sum ?? 0), 0);
  };

  it('I5: a run with nothing due makes zero write calls to API Gateway and Secrets Manager', async () => {
    for (const day of [1, 10, 29]) {
      world.recorder.reset();
      const result = await world.run(day);
      expect(result.plan.actions).toEqual([]);
      expect(world.recorder.writes()).toEqual([]);
      // The heartbeat still goes out, so a missing run can be told from a quiet one.
      expect(world.recorder.count('PutMetricDataCommand')).toBe(1);
    }
  });

  it('a rotation day publishes keys rotated, managed and total keys, quota use and a heartbeat', async () => {
    const result = await world.run(30);
    expect(result.outcomes.filter((o) => o.status === 'done').map((o) => o.action.kind)).toEqual([
      'rotate',
      'rotate',
    ]);
    expect(await sum(METRIC.keysRotated, 30, 30)).toBe(2);
    expect(await sum(METRIC.rotationFailures, 30, 30)).toBe(0);
    expect(await sum(METRIC.managedKeys, 30, 30)).toBe(3);
    expect(await sum(METRIC.totalKeys, 30, 30)).toBe(3);
    expect(await sum(METRIC.quotaUsedPercent, 30, 30)).toBe(0.03);
    expect(await sum(METRIC.heartbeat, 1, 30)).toBe(4);
    // The report names where the run worked: the central history groups reports by account.
    expect(result.report).toMatchObject({ account: world.accountId, region: world.region });
  });

  it('the retirement days publish keys disabled and deleted', async () => {
    await world.run(37);
    await world.run(51);
    expect(await sum(METRIC.keysDisabled, 37, 37)).toBe(2);
    expect(await sum(METRIC.keysDeleted, 51, 51)).toBe(2);
  });
});
