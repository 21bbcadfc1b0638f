import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TagResourceCommand as TagApiKeyCommand, UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import { DETAIL_TYPE, runEvents } from '../../../functions/core/events.js';
import { METRIC } from '../../../functions/core/metrics.js';
import { accountPlugin } from '../../support/emulator-account.js';
import {
  deployedWorld as deployedWorldIn,
  emulatedRotations,
  emulatorLambdaStats,
  failInvocations,
  rotationsSettled,
  useTimedEmulator,
  DEPLOYED_30D,
} from '../../support/deployed.js';
import {
  checkKeyInvariants,
  dayAt,
  DeletionWatch,
  leakedKeyValues,
  readAwsState,
  World,
} from '../../support/world.js';

/**
 * Rotations as AWS runs them: RotateSecret returns at once, Secrets Manager (the emulator) invokes the
 * deployed rotation function bundle out of process, once per step, retries the whole rotation after a
 * failed step, and rotates on its own schedule. Each case works in its own account.
 */
const config = DEPLOYED_30D;
const emulator = useTimedEmulator();

const deployedWorld = (credentials?: string[]) => deployedWorldIn(emulator.endpoint(), config, credentials);

const rotatedEvents = (result: Awaited<ReturnType<World['run']>>) =>
  runEvents({ runId: result.runId, trigger: result.trigger, now: result.now }, result.outcomes, []).filter(
    (e) => e.detailType === DETAIL_TYPE.rotated,
  );
const metric = (result: Awaited<ReturnType<World['run']>>, name: string) =>
  result.metrics.find((m) => m.name === name)?.value;

describe('rotation through the deployed function, as Secrets Manager runs it', () => {
  beforeAll(() => {
    expect(emulator.endpoint()).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it('a step that fails twice, then succeeds: one new key, one API Key Rotated event and KeysRotated=1, after finishSecret', async () => {
    const { world, plansOf, onboarded } = await deployedWorld();
    // setSecret does its work (the key is created) and then the invocation fails, twice: the answer lost.
    await failInvocations(world.endpoint, world.accountId, {
      function: world.deployment!.rotationFunction.name,
      step: 'setSecret',
      when: 'after',
      count: 2,
    });
    const result = await world.run(30);
    const rotate = result.outcomes.find((o) => o.action.kind === 'rotate');
    expect(rotate).toMatchObject({ status: 'done' });
    expect(metric(result, METRIC.keysRotated)).toBe(1);
    expect(rotatedEvents(result)).toHaveLength(1);
    // Secrets Manager retried the whole rotation: three attempts, the last one complete.
    const [rotation] = (await emulatedRotations(world.endpoint, world.accountId)).rotations.filter(
      (r) => r.trigger === 'RotateSecret',
    );
    expect(rotation?.status).toBe('succeeded');
    expect(rotation?.steps.filter((s) => !s.ok).map((s) => `${s.attempt}:${s.step}`)).toEqual([
      '1:setSecret',
      '2:setSecret',
    ]);
    expect(rotation?.steps.at(-1)).toMatchObject({ attempt: 3, step: 'finishSecret', ok: true });
    const state = await readAwsState(world);
    expect(state.keys).toHaveLength(2);
    expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
    expect(state.secrets[0]?.versions[onboarded[0]!.version]).toEqual(['AWSPREVIOUS']);
    // The next run has nothing to record: the rotation was counted once.
    const next = await world.run(31);
    expect(next.plan.actions.filter((a) => a.kind === 'record-rotation')).toEqual([]);
    expect(await leakedKeyValues(world, [...world.logs, ...(await world.functionLogs())])).toEqual([]);
  });

  it('a rotation still running when the run stops watching is not counted; the next run records it once', async () => {
    const { world } = await deployedWorld();
    const clients = world.clients();
    // The first attempt fails before any step runs, so the run sees it pending for a while.
    await failInvocations(world.endpoint, world.accountId, {
      function: world.deployment!.rotationFunction.name,
      step: 'createSecret',
      when: 'before',
      count: 1,
    });
    const { reconcile } = await import('../../../functions/reconcile/run.js');
    const { secretsManagerDriver } = await import('../../../functions/rotation/starter.js');
    await world.setClock(dayAt(30));
    const first = await reconcile({
      clients,
      config: world.config,
      now: dayAt(30),
      log: world.log(),
      rotation: secretsManagerDriver(clients.secrets, clients.lambda, world.config.rotationLambdaArn),
      rotationWaitMs: 0,
    });
    expect(first.outcomes.find((o) => o.action.kind === 'rotate')?.status).toBe('started');
    expect(metric(first, METRIC.keysRotated)).toBe(0);
    expect(metric(first, METRIC.rotationsInProgress)).toBe(1);
    expect(rotatedEvents(first)).toEqual([]);
    await rotationsSettled(world.endpoint);
    const second = await world.run(30);
    expect(second.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['record-rotation:done']);
    expect(metric(second, METRIC.keysRotated)).toBe(1);
    expect(rotatedEvents(second)).toHaveLength(1);
    expect((await world.run(31)).plan.actions).toEqual([]);
  });

  it('a run its deadline cuts short goes on in a new invocation of the deployed reconciler until it is done', async () => {
    const credentials = Array.from({ length: 12 }, (_, i) => `c-${i + 1}`);
    // Two rotations at a time: a wave that takes longer than one invocation's budget below.
    const { world, plansOf } = await deployedWorldIn(
      emulator.endpoint(),
      { ...config, pacing: { ...config.pacing, rotationsInFlight: 2 } },
      credentials,
    );
    await world.setClock(dayAt(30));
    const { lambda } = world.clients();
    const reconciler = world.deployment!.reconciler;
    // Just over the run's two-minute reserve: each invocation starts what fits in a second.
    await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: reconciler.name, Timeout: 121 }),
    );
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: reconciler.arn, Payload: new TextEncoder().encode('{}') }),
    );
    const first = JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, unknown>;
    expect(first).toMatchObject({ actions: 12, continued: true });
    expect(first.deferred).toBeGreaterThan(0);
    // The continuations (asynchronous invocations of the same function) rotate the rest.
    const generations = async () => {
      const state = await readAwsState(world);
      return credentials.map(
        (c) =>
          state.keys.find((k) => k.value === state.secrets.find((s) => s.credential === c)?.currentValue)
            ?.tags['rotation:generation'],
      );
    };
    await expect.poll(generations, { timeout: 90_000, interval: 1_000 }).toEqual(credentials.map(() => '2'));
    await rotationsSettled(world.endpoint);
    const stats = await emulatorLambdaStats(world.endpoint, world.accountId);
    expect(stats[reconciler.name]?.invocations).toBeGreaterThan(1);
    expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
  });

  it('two invocations at once: one holds the run lease and rotates, the other waits for it, finds the work done, and neither invokes itself again', async () => {
    // The deployed reconciler's configuration names the stack's lease bucket: one run at a time spends
    // API Gateway's share. The other waits (its whole deadline still ahead: nothing is left for a
    // continuation), reads the account again and has nothing to do. (Two runs that do overlap, without
    // a lease, defer each other's rotations: faults/concurrent-runs.test.ts.)
    const credentials = Array.from({ length: 6 }, (_, i) => `d-${i + 1}`);
    const { world } = await deployedWorldIn(emulator.endpoint(), config, credentials);
    await world.setClock(dayAt(30));
    const { lambda } = world.clients();
    const reconciler = world.deployment!.reconciler;
    expect(JSON.parse(reconciler.environment.KEYROT_CONFIG!)).toHaveProperty('leaseBucket');
    const invoke = async () => {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: reconciler.arn, Payload: new TextEncoder().encode('{}') }),
      );
      return JSON.parse(new TextDecoder().decode(out.Payload)) as Record<string, number | boolean>;
    };
    const runs = await Promise.all([invoke(), invoke()]);
    const rotated = (r: Record<string, number | boolean>) => Number(r.done) + Number(r.started);
    expect(runs.map(rotated).sort()).toEqual([0, credentials.length]);
    expect(runs.map((r) => r.deferred)).toEqual([0, 0]);
    expect(runs.map((r) => r.continued)).toEqual([false, false]);
    await rotationsSettled(world.endpoint);
    const stats = await emulatorLambdaStats(world.endpoint, world.accountId);
    expect(stats[reconciler.name]?.invocations).toBe(2);
  });

  it("rollback keeps the restored key's age (due at once, here paused); the key rolled back from retires a full grace after the rollback", async () => {
    const { world, plansOf } = await deployedWorld();
    expect((await world.run(30)).outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual([
      'rotate:done',
    ]);
    await world.setClock(dayAt(31));
    const out = await world.cli(['rollback', 'acme', '--now', dayAt(31).toISOString(), '--pause', '10d']);
    expect(out.code, out.stderr).toBe(0);
    // Generation 1 became current on day 0: 31 days old, due since day 30, held only by the pause.
    expect(out.stdout).toContain(
      `rotation held until ${dayAt(41).toISOString().slice(0, 10)} (the restored key was due ${dayAt(30).toISOString().slice(0, 10)})`,
    );
    const paused = await world.run(32);
    expect(paused.plan.actions).toEqual([]);
    expect(paused.plan.findings.map((f) => f.kind)).toContain('rotation-paused');
    // Generation 2's grace counts from the rollback (day 31), not from its own activation (day 30).
    expect((await world.run(37)).plan.actions).toEqual([]);
    expect((await world.run(38)).outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual([
      'disable-key:done',
    ]);
    const due = await world.run(41);
    expect(due.outcomes.filter((o) => o.action.kind === 'rotate').map((o) => o.status)).toEqual(['done']);
    expect(metric(due, METRIC.keysRotated)).toBe(1);
    const state = await readAwsState(world);
    expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
    const current = state.keys.find((k) => k.value === state.secrets[0]?.currentValue);
    expect(current?.tags['rotation:generation']).toBe('3');
  });

  it('a retired key re-enabled by hand, then disabled again: deletion waits a full disable window', async () => {
    const { world } = await deployedWorld();
    await world.run(30);
    await world.run(38); // grace over: generation 1 disabled
    const old = (await readAwsState(world)).keys.find((k) => k.tags['rotation:generation'] === '1')!;
    expect(old.enabled).toBe(false);
    const { apigw } = world.raw();
    const setEnabled = (enabled: boolean) =>
      apigw.send(
        new UpdateApiKeyCommand({
          apiKey: old.id,
          patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
        }),
      );
    await setEnabled(true);
    const deletions = new DeletionWatch();
    const window = world.config.policies['30d']!.disableWindowDays;
    for (let day = 40; day <= 80; day++) {
      // Ten days later a person disables it again (if it is still enabled): its old disable record
      // must not count, or it is deleted the next day.
      if (day === 50 && (await readAwsState(world)).keys.find((k) => k.id === old.id)?.enabled) {
        await setEnabled(false);
      }
      await world.run(day);
      deletions.observe(await readAwsState(world), day, () => window);
    }
    expect(deletions.violations).toEqual([]);
    expect((await readAwsState(world)).keys.find((k) => k.id === old.id)).toBeUndefined();
  });

  it('two applies at once: both exit 0, and the credential rotates once', async () => {
    const { world, plansOf } = await deployedWorld(['alpha', 'beta']);
    const file = join(tmpdir(), `keyrot-${world.accountId}.json`);
    writeFileSync(file, JSON.stringify({ ...world.config, secretKmsKeyId: undefined }));
    const apply = () => {
      const out: string[] = [];
      return runCli(
        [
          'apply',
          '--endpoint-url',
          world.endpoint,
          '--config',
          file,
          '--now',
          dayAt(30).toISOString(),
          '--json',
        ],
        { stdout: (t) => out.push(t), stderr: (t) => out.push(t), plugins: [accountPlugin(world.accountId)] },
      ).then((code) => ({ code, out: out.join('') }));
    };
    const [a, b] = await Promise.all([apply(), apply()]);
    expect([a.code, b.code], `${a.out}\n${b.out}`).toEqual([0, 0]);
    await rotationsSettled(world.endpoint);
    const state = await readAwsState(world);
    expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
    for (const credential of ['alpha', 'beta']) {
      const generations = state.keys
        .filter((k) => k.tags['rotation:credential'] === credential)
        .map((k) => k.tags['rotation:generation'])
        .sort();
      expect({ credential, generations }).toEqual({ credential, generations: ['1', '2'] });
    }
  });

  it("Secrets Manager's own schedule is a backstop: it rotates a credential the reconciler missed, and the next run records it", async () => {
    const { world, plansOf } = await deployedWorld();
    // No reconciler run for 40 days: past period plus grace (37 days), Secrets Manager rotates on its own.
    await world.setClock(dayAt(38));
    await expect
      .poll(
        async () =>
          (await emulatedRotations(world.endpoint, world.accountId)).rotations.some(
            (r) => r.trigger === 'schedule' && r.status === 'succeeded',
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    const result = await world.run(38);
    expect(result.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toContain('record-rotation:done');
    expect(metric(result, METRIC.keysRotated)).toBe(1);
    expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
  });

  it("a paused credential is not rotated by Secrets Manager's schedule either: the backstop moves past the pause", async () => {
    const { world, onboarded } = await deployedWorld();
    const { apigw, secrets } = world.raw();
    await apigw.send(
      new TagApiKeyCommand({
        resourceArn: `arn:aws:apigateway:us-east-1::/apikeys/${onboarded[0]!.keyId}`,
        tags: {
          'rotation:paused-until': dayAt(90).toISOString(),
          'rotation:pause-reason': 'partner migration',
        },
      }),
    );
    const run = await world.run(30);
    expect(run.plan.findings.map((f) => f.kind)).toContain('rotation-paused');
    expect(run.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['configure-rotation:done']);
    await rotationsSettled(world.endpoint);
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: onboarded[0]!.secretArn }));
    expect(described.NextRotationDate!.getTime()).toBeGreaterThan(dayAt(90).getTime());
    // Days pass without a run, beyond the 37 days Secrets Manager would have waited: nothing rotates.
    await world.setClock(dayAt(60));
    await new Promise((r) => setTimeout(r, 1000));
    const rotations = (await emulatedRotations(world.endpoint, world.accountId)).rotations;
    expect(rotations.filter((r) => r.trigger === 'schedule')).toEqual([]);
  });

  const crashes = (['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const).flatMap((step) =>
    (['before', 'after'] as const).map((when) => ({ step, when })),
  );
  it.each(crashes)(
    'the rotation function fails $when its work in $step on every attempt: the rotation waits, the next day a run resumes it, I1 and I2 hold throughout',
    async ({ step, when }) => {
      const { world, plansOf } = await deployedWorld();
      const attempts = 4; // the emulator's Secrets Manager tries a rotation this many times
      await failInvocations(world.endpoint, world.accountId, {
        function: world.deployment!.rotationFunction.name,
        step,
        when,
        count: attempts,
      });
      // finishSecret failing after its work still completes the rotation: watched to its end. The others
      // never complete: a short watch.
      const completes = step === 'finishSecret' && when === 'after';
      const first = await world.run(30, [], { rotationWaitMs: completes ? 60_000 : 1_000 });
      if (completes) {
        // finishSecret moved AWSCURRENT before its invocation failed: the rotation is done, and counted.
        expect(first.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['rotate:done']);
        expect(metric(first, METRIC.keysRotated)).toBe(1);
        expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
        await rotationsSettled(world.endpoint);
        expect((await world.run(31)).plan.actions).toEqual([]);
        return;
      }
      expect(first.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['rotate:started']);
      await rotationsSettled(world.endpoint);
      const [rotation] = (await emulatedRotations(world.endpoint, world.accountId)).rotations.filter(
        (r) => r.trigger === 'RotateSecret',
      );
      expect(rotation?.status).toBe('failed');
      expect(checkKeyInvariants(await readAwsState(world), plansOf, world.config)).toEqual([]);
      // The next day the pending rotation is older than 30 minutes: resumed by invoking the function.
      const next = await world.run(31);
      expect(next.outcomes.map((o) => `${o.action.kind}:${o.status}`)).toEqual(['resume-rotation:done']);
      expect(metric(next, METRIC.keysRotated)).toBe(1);
      const state = await readAwsState(world);
      expect(checkKeyInvariants(state, plansOf, world.config)).toEqual([]);
      expect(state.keys.map((k) => k.tags['rotation:generation']).sort()).toEqual(['1', '2']);
      expect((await world.run(32)).plan.actions).toEqual([]);
    },
  );
});
