/**
 * Lifecycle tests on the path AWS runs: an emulator of the test file's own, on a simulated clock, with
 * the CDK app's rotation function bundle deployed into each World's account (World.deploy). RotateSecret
 * returns at once and the emulator invokes the bundle out of process; every run moves the clock to its
 * day first. A shared emulator can't serve these: Secrets Manager's and Lambda's retry timings are the
 * server's (KEYROT_ROTATION_RETRY_SECONDS and the like), not an account's. The emulator is forked from
 * the global setup's fork server (emulator/fork_server.py), past moto's imports.
 */
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/start.js';

export { emulatorLambdaStats, rotationsSettled } from '../../emulator/clock-client.js';
import { parseConfig, type Config } from '../../functions/core/config.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { rotationsSettled } from '../../emulator/clock-client.js';
import { createPlans, dayAt, T0, World } from './world.js';

const AUTH =
  'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0';

/**
 * Pacing for tests on the deployed path: 8 times the quotas. The rotation function's share of them
 * (1/(rotationsInFlight + 1)) would make each lone rotation wait for tokens, and these emulators enforce
 * no quota; pacing is measured by the bench, against enforced quotas (emulator/keyrot_moto/quotas.py).
 */
export const TEST_PACING = { quotaScale: 8 };

/**
 * The configuration of on-call and operator tests on the deployed path: the 30-day policy (7 days of
 * grace), exact due days, and only the hygiene checks that do not need usage data or stages.
 */
export const DEPLOYED_30D: Config = parseConfig({
  pacing: TEST_PACING,
  staggerPercent: 0,
  defaultPolicy: '30d',
  hygiene: { posture: { action: 'ignore' }, unused: { action: 'ignore' } },
});

export interface TimedEmulator {
  endpoint(): string;
}

const timedEmulator = (start: Date) =>
  startEmulator({
    clock: start,
    // Secrets Manager retries a failed rotation after minutes; here after a fifth of a second.
    env: {
      KEYROT_ROTATION_RETRY_SECONDS: '0.2',
      KEYROT_SCHEDULE_TICK_SECONDS: '0.2',
      KEYROT_ASYNC_RETRY_SECONDS: '0.2',
    },
  });

/** Starts an emulator with a simulated clock for this test file (stopped after it). */
export function useTimedEmulator(start: Date = T0): TimedEmulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await timedEmulator(start);
  }, 60_000);
  afterAll(async () => {
    await emulator?.stop();
  });
  return {
    endpoint() {
      if (emulator === undefined)
        throw new Error('the timed emulator is not started yet (use it inside tests)');
      return emulator.endpoint;
    },
  };
}

/** The same, started now: for a file that needs it while vitest collects its cases (a top-level await). */
export async function startTimedEmulator(start: Date = T0): Promise<TimedEmulator> {
  const emulator = await timedEmulator(start);
  afterAll(async () => {
    await emulator.stop();
  });
  return { endpoint: () => emulator.endpoint };
}

export interface EmulatedRotation {
  account: string;
  secret: string;
  token: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  steps: { attempt: number; step: string; ok: boolean; error: string | null }[];
}

/** The rotations the emulator's Secrets Manager ran for one account (GET /_keyrot/rotations). */
export async function emulatedRotations(
  endpoint: string,
  accountId: string,
): Promise<{ active: number; rotations: EmulatedRotation[] }> {
  const res = await fetch(`${endpoint}/_keyrot/rotations`, { headers: { authorization: AUTH } });
  const body = (await res.json()) as { active: number; rotations: EmulatedRotation[] };
  return { active: body.active, rotations: body.rotations.filter((r) => r.account === accountId) };
}

/**
 * Makes the next `count` invocations of a step of the function fail, before or after its handler ran;
 * with `write`, its container dies just before (or after) the function's `write`th write call from now.
 */
export async function failInvocations(
  endpoint: string,
  accountId: string,
  fault: { function: string; step?: string; when: 'before' | 'after'; count: number; write?: number },
): Promise<void> {
  const res = await fetch(`${endpoint}/_keyrot/lambda-faults`, {
    method: 'POST',
    headers: { authorization: AUTH, 'x-moto-account-id': accountId, 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (!res.ok) throw new Error(`arming the fault failed: ${res.status} ${await res.text()}`);
}

/**
 * A World on a timed emulator with the functions deployed, its clock on day 0, two usage plans, and
 * `credentials` onboarded into both; onboarding's asynchronous configuration tests have finished.
 */
export async function deployedWorld(endpoint: string, config: Config, credentials: string[] = ['acme']) {
  const world = new World(config, { endpoint });
  await world.deploy();
  await world.setClock(dayAt(0));
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
  const onboarded = [];
  for (const credential of credentials) {
    onboarded.push(
      await onboardCredential(
        { ...world.clients(), config: world.config, now: dayAt(0) },
        { credential, usagePlanIds: plans },
      ),
    );
  }
  // Onboarding's RotateImmediately=false runs testSecret on a temporary version: let it finish.
  await rotationsSettled(world.endpoint);
  const plansOf = new Map(credentials.map((c) => [c, [...plans].sort()]));
  return { world, plans, plansOf, onboarded };
}
