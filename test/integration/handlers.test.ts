import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { waitForRotation } from '../../functions/rotation/watch.js';
import { createPlans, leakedKeyValues, World } from '../support/world.js';

/**
 * The Lambda handlers as they are deployed: the esbuild bundles `cdk synth` ships, with the environment
 * the template gives them, run by the emulator out of process (on the run's shared emulator, in an
 * account on its own simulated clock: the functions' own `new Date()` reads it, as moto's dates do).
 */
describe('Lambda handlers, as AWS invokes them (the deployed bundles)', () => {
  const world = new World();

  beforeAll(async () => {
    await world.deploy();
  }, 120_000);

  it('Secrets Manager runs the rotation function asynchronously: RotateSecret returns, then AWSCURRENT moves', async () => {
    const clients = world.clients();
    const [plan] = await createPlans(clients.apigw, ['handler-gold'], 'handler-api');
    const onboarded = await onboardCredential(
      { ...clients, config: world.config, now: await world.clockNow() },
      { credential: 'handler', usagePlanIds: [plan!] },
    );
    // Onboarding's RotateImmediately=false runs testSecret on a temporary AWSPENDING version: wait it out.
    await expect
      .poll(async () => Object.keys((await describe()).VersionIdsToStages ?? {}).length, { timeout: 30_000 })
      .toBe(1);
    const started = (await world.clockNow()).getTime();
    const rotation = await clients.secrets.send(
      new RotateSecretCommand({
        SecretId: onboarded.secretArn,
        RotationLambdaARN: world.config.rotationLambdaArn,
      }),
    );
    const token = rotation.VersionId ?? '';
    // RotateSecret only starts the rotation: nothing has run yet when it answers.
    expect((await describe()).VersionIdsToStages?.[token]).toEqual(['AWSPENDING']);
    expect(await waitForRotation(clients.secrets, onboarded.secretArn, token, { timeoutMs: 60_000 })).toBe(
      'done',
    );
    const described = await describe();
    expect(described.VersionIdsToStages?.[onboarded.version]).toEqual(['AWSPREVIOUS']);
    expect(described.LastRotatedDate?.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    // I4: the function's own log lines (CloudWatch Logs) name versions and keys, never a value.
    const logs = await world.functionLogs();
    expect(logs.join('\n')).toContain('rotation finished');
    expect(await leakedKeyValues(world, logs)).toEqual([]);

    async function describe() {
      return clients.secrets.send(new DescribeSecretCommand({ SecretId: onboarded.secretArn }));
    }
  });

  it("at stack creation the reconciler answers CloudFormation's custom resource: the heartbeat window opens, or the deployment fails with the reason", async () => {
    const answers: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        answers.push({ method: req.method, contentType: req.headers['content-type'], ...JSON.parse(body) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
    const { lambda, cloudwatch } = world.clients();
    const reconciler = world.deployment!.reconciler;
    const create = (requestId: string) =>
      lambda.send(
        new InvokeCommand({
          FunctionName: reconciler.arn,
          Payload: new TextEncoder().encode(
            JSON.stringify({
              RequestType: 'Create',
              ResponseURL: url,
              StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Keyrot/x',
              RequestId: requestId,
              LogicalResourceId: 'HeartbeatWindow',
              ResourceType: 'Custom::KeyrotHeartbeatWindow',
            }),
          ),
        }),
      );
    let restore: Record<string, string> | undefined;
    try {
      expect((await create('r1')).FunctionError).toBeUndefined();
      expect(answers).toEqual([
        expect.objectContaining({
          method: 'PUT',
          Status: 'SUCCESS',
          RequestId: 'r1',
          LogicalResourceId: 'HeartbeatWindow',
        }),
      ]);
      expect(answers[0]!.contentType).toBeUndefined();
      const now = (await world.clockNow()).getTime();
      const stats = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: world.config.metricNamespace,
          MetricName: 'RunCompleted',
          StartTime: new Date(now - 3_600_000),
          EndTime: new Date(now + 60_000),
          Period: 3600,
          Statistics: ['SampleCount', 'Sum'],
        }),
      );
      expect(stats.Datapoints?.map((d) => [d.SampleCount, d.Sum])).toEqual([[1, 0]]);
      // A configuration the function can't load fails the deployment, with the reason.
      const { Environment } = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: reconciler.name }),
      );
      restore = Environment?.Variables;
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: reconciler.name,
          Environment: { Variables: { KEYROT_CONFIG: '{"defaultPolicy": ' } },
        }),
      );
      await create('r2');
      expect(answers[1]).toMatchObject({
        Status: 'FAILED',
        RequestId: 'r2',
        Reason: expect.stringMatching(/KEYROT_CONFIG is not valid JSON/),
      });
    } finally {
      server.close();
      if (restore !== undefined)
        await lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: reconciler.name,
            Environment: { Variables: restore },
          }),
        );
    }
  });

  it('the scheduled reconciler bundle runs with its template environment and answers with counts', async () => {
    const out = await world.clients().lambda.send(
      new InvokeCommand({
        FunctionName: world.deployment!.reconciler.arn,
        Payload: new TextEncoder().encode(JSON.stringify({ source: 'aws.scheduler', dryRun: true })),
      }),
    );
    expect(out.FunctionError).toBeUndefined();
    const result = JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, unknown>;
    expect(result).toEqual({
      runId: expect.any(String),
      actions: expect.any(Number),
      done: 0,
      started: 0,
      deferred: 0,
      failed: 0,
      findings: expect.any(Number),
      continued: false,
    });
    // With the template's permissions it reads everything it reads: no read-failed finding in its logs
    // (a hygiene read refused, ReadApisForPosture's say, is a finding only: it never stops a run).
    type Line = { message?: string; findings?: number; finding?: { kind?: string; message?: string } };
    const lines = async () =>
      (await world.functionLogs()).flatMap((line): Line[] => {
        try {
          return [JSON.parse(line) as Line];
        } catch {
          return [];
        }
      });
    // The plan's line counts the findings; one line each follows it.
    const findings = () => lines().then((all) => all.filter((l) => l.finding !== undefined));
    const planned = () => lines().then((all) => all.find((l) => l.message === 'planned')?.findings);
    await expect.poll(planned).toBeDefined();
    await expect.poll(async () => (await findings()).length).toBe(await planned());
    const readFailed = (await findings()).filter((l) => l.finding?.kind === 'read-failed');
    expect(readFailed.map((l) => l.finding?.message)).toEqual([]);
  });
});
