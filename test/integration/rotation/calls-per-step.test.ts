import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { SdkPlugin } from '../../../functions/commons/clients.js';
import { readInventory } from '../../../functions/aws/inventory.js';
import { recordFacts } from '../../../functions/aws/rotation-record.js';
import { plan } from '../../../functions/core/plan.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { runRotationStep, ROTATION_STEPS, type RotationStep } from '../../../functions/rotation/steps.js';
import { createPlans, dayAt, World } from '../../support/world.js';

/** Records every call by service and operation ("apigateway:CreateApiKey"): a call-recording client. */
function recording(): { plugin: SdkPlugin; take: () => Record<string, number> } {
  let calls: Record<string, number> = {};
  return {
    plugin: {
      applyToStack: (stack) =>
        stack.add(
          (next, context) => async (args) => {
            const service = context.clientName === 'APIGatewayClient' ? 'apigateway' : 'secretsmanager';
            const name = `${service}:${String(context.commandName).replace(/Command$/, '')}`;
            calls[name] = (calls[name] ?? 0) + 1;
            return next(args);
          },
          { step: 'initialize', name: 'callsPerStep' },
        ),
    },
    take: () => {
      const taken = calls;
      calls = {};
      return taken;
    },
  };
}

/** A credential in `planCount` usage plans, due on day 90; its rotation's token and the calls per step. */
async function rotate(planCount: number, options: { recorded: boolean }) {
  const world = new World();
  const plans = await createPlans(
    world.raw().apigw,
    Array.from({ length: planCount }, (_, i) => `plan-${i}`),
  );
  const onboarded = await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0) },
    { credential: 'acme', usagePlanIds: plans },
  );
  const now = dayAt(90);
  const inventory = await readInventory(world.clients(), world.config, now, { hygiene: false });
  const action = plan(inventory, world.config, now).actions.find((a) => a.kind === 'rotate');
  if (action?.kind !== 'rotate') throw new Error('the credential is not due');
  // As the reconciler starts it: its facts recorded on the secret, then RotateSecret with its token.
  if (options.recorded)
    await recordFacts(world.raw().secrets, onboarded.secretArn, action.facts, world.config.tagPrefix);
  await world.raw().secrets.send(
    new RotateSecretCommand({
      SecretId: onboarded.secretArn,
      ClientRequestToken: action.token,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  const calls = recording();
  const clients = world.clients([calls.plugin]);
  const perStep = {} as Record<RotationStep, Record<string, number>>;
  for (const step of ROTATION_STEPS) {
    await runRotationStep(
      { Step: step, SecretId: onboarded.secretArn, ClientRequestToken: action.token },
      { ...clients, config: world.config, now: () => now, log: world.log() },
    );
    perStep[step] = calls.take();
  }
  return perStep;
}

/** API Gateway calls that draw on its shared 10 requests/s (CreateApiKey has a quota of its own). */
const shared = (perStep: Record<string, Record<string, number>>) =>
  Object.values(perStep)
    .flatMap((calls) => Object.entries(calls))
    .filter(([op]) => op.startsWith('apigateway:') && op !== 'apigateway:CreateApiKey')
    .reduce((sum, [, n]) => sum + n, 0);

describe('calls per rotation step', () => {
  it('as the reconciler starts it: API Gateway sees CreateApiKey and one CreateUsagePlanKey per plan, nothing else', async () => {
    const perStep = await rotate(3, { recorded: true });
    expect(perStep).toEqual({
      createSecret: {
        'secretsmanager:DescribeSecret': 1,
        'secretsmanager:GetSecretValue': 2,
        'secretsmanager:PutSecretValue': 1,
      },
      setSecret: {
        'secretsmanager:DescribeSecret': 1,
        'secretsmanager:GetSecretValue': 1,
        'apigateway:CreateApiKey': 1,
        'apigateway:CreateUsagePlanKey': 3,
        'secretsmanager:TagResource': 1,
      },
      testSecret: {
        'secretsmanager:DescribeSecret': 1,
        'secretsmanager:GetSecretValue': 1,
      },
      finishSecret: {
        'secretsmanager:DescribeSecret': 1,
        'secretsmanager:TagResource': 1,
        'secretsmanager:UpdateSecretVersionStage': 2,
      },
    });
    expect(shared(perStep)).toBe(3);
  });

  it('started by Secrets Manager on its own schedule (nothing recorded): the facts are looked up, four reads more', async () => {
    const perStep = await rotate(2, { recorded: false });
    // Nobody at keyrot decided it: createSecret first checks the consumer was not cut off (the
    // current key, by its derived name, must be enabled). AWSCURRENT's value is read once for both.
    expect(perStep.createSecret).toEqual({
      'secretsmanager:DescribeSecret': 1,
      'secretsmanager:GetSecretValue': 2,
      'apigateway:GetApiKeys': 1,
      'secretsmanager:PutSecretValue': 1,
    });
    expect(perStep.setSecret).toEqual({
      'secretsmanager:DescribeSecret': 1,
      // The pending value, then AWSCURRENT's (it names the current key).
      'secretsmanager:GetSecretValue': 2,
      // The current key by its derived name, and the generations of the credential's keys.
      'apigateway:GetApiKeys': 2,
      // The current key's plans.
      'apigateway:GetUsagePlans': 1,
      'apigateway:CreateApiKey': 1,
      'apigateway:CreateUsagePlanKey': 2,
      'secretsmanager:TagResource': 1,
    });
    expect(shared(perStep)).toBe(2 + 4);
  });
});
