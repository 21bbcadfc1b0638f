import {
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-api-gateway';
import { DeleteSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/aws/onboard.js';
import type { SdkPlugin } from '../../../functions/commons/clients.js';
import { parseConfig, type Config } from '../../../functions/core/config.js';
import type { RunResult } from '../../../functions/reconcile/run.js';
import { checkKeyInvariants, createPlans, dayAt, readAwsState, World } from '../../support/world.js';

const base = { staggerPercent: 0, defaultPolicy: '30d', hygiene: { posture: { action: 'ignore' } } };

interface Broken {
  world: World;
  plans: string[];
  keyId: string;
  secretArn: string;
  arn: string;
}

interface Case {
  name: string;
  config?: Config;
  /** Breaks credential "broken" by hand; may return plugins that break it mid-run. */
  breakIt: (b: Broken) => Promise<SdkPlugin[] | void>;
  /** What the run must say about it: a finding or a failed action, naming the thing. */
  says: RegExp;
  day?: number;
  /** The healthy credential is rotated as usual (default true). */
  healthyRotates?: boolean;
  /** The plans the healthy credential is in afterwards (default: both). */
  plansAfter?: (plans: string[]) => string[];
}

const cases: Case[] = [
  {
    name: 'a secret whose JSON was edited by hand',
    breakIt: async ({ world, secretArn }) => {
      await world
        .raw()
        .secrets.send(
          new PutSecretValueCommand({ SecretId: secretArn, SecretString: '{"key":"hand-edited"}' }),
        );
    },
    says: /credential broken: no readable API key carries the AWSCURRENT version .*; if the secret was edited by hand, move AWSCURRENT back to /,
  },
  {
    name: 'a secret that is not JSON at all',
    breakIt: async ({ world, secretArn }) => {
      await world
        .raw()
        .secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: 'plain text' }));
    },
    says: /credential broken: no readable API key carries the AWSCURRENT version .*move AWSCURRENT back to /,
  },
  {
    name: 'a secret scheduled for deletion',
    breakIt: async ({ world, secretArn }) => {
      await world
        .raw()
        .secrets.send(new DeleteSecretCommand({ SecretId: secretArn, RecoveryWindowInDays: 7 }));
    },
    says: /credential broken: secret keyrot\/broken is scheduled for deletion/,
  },
  {
    name: 'the current key deleted by hand',
    breakIt: async ({ world, keyId }) => {
      await world.raw().apigw.send(new DeleteApiKeyCommand({ apiKey: keyId }));
    },
    says: /credential broken: secret keyrot\/broken exists but no API key is tagged with this credential/,
  },
  {
    name: 'the current key deleted by hand mid-run, after the run read it',
    breakIt: async ({ world, keyId }) => {
      let done = false;
      const plugin: SdkPlugin = {
        applyToStack: (stack) =>
          stack.add(
            (next, context) => async (args) => {
              const input = args.input as { SecretId?: string };
              if (
                !done &&
                context.commandName === 'RotateSecretCommand' &&
                String(input.SecretId).includes('broken')
              ) {
                done = true;
                await world.raw().apigw.send(new DeleteApiKeyCommand({ apiKey: keyId }));
              }
              return next(args);
            },
            { step: 'initialize', name: 'deleteMidRun' },
          ),
      };
      return [plugin];
    },
    says: /credential broken: the API key of AWSCURRENT version .* does not exist/,
  },
  {
    name: 'a generation tag edited by hand into a word',
    breakIt: async ({ world, arn }) => {
      await world
        .raw()
        .apigw.send(new TagResourceCommand({ resourceArn: arn, tags: { 'rotation:generation': 'second' } }));
    },
    says: /key \w+: tag rotation:generation="second" is malformed; expected a whole number from 1/,
  },
  {
    name: 'an unknown policy name on the key',
    breakIt: async ({ world, arn }) => {
      await world
        .raw()
        .apigw.send(new TagResourceCommand({ resourceArn: arn, tags: { 'rotation:policy': 'weekly' } }));
    },
    says: /tag rotation:policy="weekly" names no policy; expected one of 30d, 60d, 90d/,
  },
  {
    name: 'the key removed from one of its plans by hand: rotated into the plans it is still in',
    breakIt: async ({ world, plans, keyId }) => {
      await world.raw().apigw.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plans[1], keyId }));
    },
    says: /^$/,
  },
  {
    name: 'a usage plan deleted by hand',
    breakIt: async ({ world, plans }) => {
      await world.raw().apigw.send(new DeleteUsagePlanCommand({ usagePlanId: plans[1] }));
    },
    says: /^$/,
    plansAfter: (plans) => [plans[0]!],
  },
  {
    name: 'the key quota exhausted',
    config: parseConfig({ ...base, hygiene: { ...base.hygiene, quota: { limit: 2, headroom: 0 } } }),
    breakIt: async () => {},
    says: /credential broken: rotation refused: 2 of 2 API keys in use/,
    healthyRotates: false,
  },
  {
    name: 'a clock behind the keys (skew): nothing is due, nothing breaks',
    breakIt: async () => {},
    day: -10,
    says: /^$/,
    healthyRotates: false,
  },
];

function messages(result: RunResult): string[] {
  return [
    ...result.plan.findings.map((f) => f.message),
    ...result.outcomes
      .filter((o) => o.status === 'failed')
      .map((o) => `${o.error?.name}: ${o.error?.message}`),
  ];
}

describe('bad input: a clear message naming what is wrong; the other keys processed; nothing lost', () => {
  it.each(cases)('$name', async (c) => {
    const config = c.config ?? parseConfig(base);
    const world = new World(config);
    const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
    const healthy = await onboardCredential(
      { ...world.clients(), config, now: dayAt(0) },
      { credential: 'healthy', usagePlanIds: plans },
    );
    const broken = await onboardCredential(
      { ...world.clients(), config, now: dayAt(0) },
      { credential: 'broken', usagePlanIds: plans },
    );
    const plugins =
      (await c.breakIt({
        world,
        plans,
        keyId: broken.keyId,
        secretArn: broken.secretArn,
        arn: `arn:aws:apigateway:us-east-1::/apikeys/${broken.keyId}`,
      })) ?? [];
    const result = await world.run(c.day ?? 30, plugins);
    const said = messages(result);
    if (c.says.source === '^$') expect(said).toEqual([]);
    else expect(said.some((m) => c.says.test(m))).toBe(true);
    // Never a key value in what it says.
    const state = await readAwsState(world);
    for (const k of state.keys) expect(said.join('\n')).not.toContain(k.value);
    // The healthy credential: rotated as usual, I1 and I2 hold for it.
    const rotated = result.outcomes.some(
      (o) => o.action.credential === 'healthy' && o.action.kind === 'rotate' && o.status === 'done',
    );
    expect(rotated).toBe(c.healthyRotates ?? true);
    const healthyState = { ...state, secrets: state.secrets.filter((s) => s.credential === 'healthy') };
    expect(
      checkKeyInvariants(
        healthyState,
        new Map([['healthy', (c.plansAfter ?? ((p) => p))(plans).sort()]]),
        config,
      ),
    ).toEqual([]);
    // Nothing lost: the broken credential's keys were not disabled or deleted by this run.
    expect(
      result.outcomes.filter(
        (o) => o.action.credential === 'broken' && ['disable-key', 'delete-key'].includes(o.action.kind),
      ),
    ).toEqual([]);
    expect(healthy.keyId).not.toBe(broken.keyId);
  });
});
