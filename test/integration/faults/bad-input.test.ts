import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  UntagResourceCommand,
  UpdateApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  TagResourceCommand,
} from '@aws-sdk/client-api-gateway';
import {
  DeleteSecretCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand as SecretsTagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { inProcessDriver } from '../../../functions/rotation/starter.js';
import type { SdkPlugin } from '../../../functions/commons/clients.js';
import { parseConfig, type Config } from '../../../functions/core/config.js';
import type { RunResult } from '../../../functions/reconcile/run.js';
import {
  checkKeyInvariants,
  createPlans,
  dayAt,
  leakedKeyValues,
  readAwsState,
  World,
  type AwsState,
} from '../../support/world.js';

const OVERDUE =
  /credential broken: current key \w+ active since 2026-01-01, past its policy's period plus grace/;
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
  breakIt: (b: Broken) => Promise<unknown> | SdkPlugin[];
  /** What the run must say about it: a finding or a failed action, naming the thing. */
  says: RegExp;
  day?: number;
  /** The healthy credential is rotated as usual (default true). */
  healthyRotates?: boolean;
  /** The plans the healthy credential is in afterwards (default: both). */
  plansAfter?: (plans: string[]) => string[];
  /** The case itself deletes the broken credential's first key during the run. */
  deletesKey?: true;
  /** Days the reconciler runs on before the credential is broken. */
  runFirst?: number[];
  /** What else must hold afterwards, for the case's own claim. */
  check?: (after: { result: RunResult; state: AwsState; plans: string[]; brokenKeyId: string }) => void;
}

const tag = (world: World, arn: string, tags: Record<string, string>) =>
  world.raw().apigw.send(new TagResourceCommand({ resourceArn: arn, tags }));

/** Runs `act` once, before the first call of `command` whose input mentions `credential`. */
function before(command: string, credential: string, act: () => Promise<unknown>): SdkPlugin {
  let done = false;
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => async (args) => {
          if (!done && context.commandName === command && JSON.stringify(args.input).includes(credential)) {
            done = true;
            await act();
          }
          return next(args);
        },
        { step: 'initialize', name: `before${command}` },
      ),
  };
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
    name: 'the current key deleted by hand mid-run, after the run read it: the rotation replaces it',
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
    // The rotation needs nothing of the old key but what the run recorded (its plans): it replaces it.
    says: /^$/,
    deletesKey: true,
    check: ({ result, state, plans, brokenKeyId }) => {
      const rotations = result.outcomes.filter(
        (o) => o.action.credential === 'broken' && o.action.kind === 'rotate',
      );
      expect(rotations.map((o) => o.status)).toEqual(['done']);
      expect(state.keys.find((k) => k.id === brokenKeyId)).toBeUndefined();
      expect(newKeysOf(state, 'broken', brokenKeyId).map((k) => k.planIds)).toEqual([[...plans].sort()]);
    },
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
    check: ({ state, plans, brokenKeyId }) => {
      const next = newKeysOf(state, 'broken', brokenKeyId);
      expect(next.map((k) => k.planIds)).toEqual([[plans[0]]]);
    },
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
    name: 'a created-at tag edited by hand into a word',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:created-at': 'yesterday' }),
    says: /key \w+: tag rotation:created-at="yesterday" is malformed; expected an ISO-8601 UTC time/,
  },
  {
    name: 'an activated-at tag in local time instead of UTC',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:activated-at': '2026-01-01 09:00' }),
    says: /key \w+: tag rotation:activated-at="2026-01-01 09:00" is malformed; expected an ISO-8601 UTC time/,
  },
  {
    name: 'a paused-until tag that is not a time',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:paused-until': 'next week' }),
    says: /key \w+: tag rotation:paused-until="next week" is malformed/,
  },
  {
    name: 'a credential tag with characters a credential cannot have',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:credential': 'broken key!' }),
    says: /key \w+: tag rotation:credential="broken key!" is malformed; expected 1-64 of A-Z a-z 0-9/,
  },
  {
    name: 'an empty policy tag',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:policy': '' }),
    says: /tag rotation:policy="" names no policy; expected one of 30d, 60d, 90d/,
  },
  {
    name: 'an exemption without a reason or an end date',
    breakIt: ({ world, arn }) => tag(world, arn, { 'rotation:exempt': 'unused' }),
    says: /key \w+: exemption ignored: tag rotation:exempt-until="" must be a date .*; tag rotation:exempt-reason must say why/,
  },
  {
    name: 'the credential tag removed from the current key by hand',
    breakIt: ({ world, arn }) =>
      world
        .raw()
        .apigw.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['rotation:credential'] })),
    says: /credential broken: secret keyrot\/broken exists but no API key is tagged with this credential/,
  },
  {
    name: 'the key renamed by hand: the tags, not the name, say what it is',
    breakIt: ({ world, keyId }) =>
      world.raw().apigw.send(
        new UpdateApiKeyCommand({
          apiKey: keyId,
          patchOperations: [{ op: 'replace', path: '/name', value: 'renamed-by-hand' }],
        }),
      ),
    says: /^$/,
  },
  {
    name: 'the current key disabled by hand',
    breakIt: ({ world, keyId }) =>
      world.raw().apigw.send(
        new UpdateApiKeyCommand({
          apiKey: keyId,
          patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
        }),
      ),
    says: /credential broken: current key \w+ was disabled outside keyrot; consumers get 403, and nothing scheduled gives them a key again .*: keyrot resume broken re-enables it/,
  },
  {
    name: 'the secret deleted for good (no recovery window)',
    breakIt: ({ world, secretArn }) =>
      world
        .raw()
        .secrets.send(new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true })),
    says: /credential broken: no secret keyrot\/broken; its keys are left as they are/,
  },
  {
    name: 'the secret deleted by hand mid-run, as its rotation starts',
    breakIt: ({ world, secretArn }) => [
      before('RotateSecretCommand', 'broken', () =>
        world.raw().secrets.send(new DeleteSecretCommand({ SecretId: secretArn, RecoveryWindowInDays: 7 })),
      ),
    ],
    says: /rotate broken: KeyrotError: credential broken: secret keyrot\/broken was scheduled for deletion \(on [\d-]+\) during this run; restore it/,
  },
  {
    // Seen in a CI run: the secret's own schedule came due as the run rotated it. Its rotation was under
    // way when the run's RotateSecret came (refused: "A previous rotation isn't complete") and done when
    // the run looked (no AWSPENDING left): the credential was rotated, the run has nothing to do.
    name: "Secrets Manager's own schedule rotating the secret just as the run does: deferred, not failed",
    breakIt: ({ world, secretArn }) => {
      let scheduled: string | undefined;
      const finish = () =>
        inProcessDriver({
          ...world.clients(),
          config: world.config,
          now: () => dayAt(30),
          log: world.log(),
        }).resume({ secretId: secretArn, token: scheduled! });
      return [
        {
          applyToStack: (stack) =>
            stack.add(
              (next, context) => async (args) => {
                const input = args.input as { SecretId?: string; ClientRequestToken?: string };
                const ours =
                  context.commandName === 'RotateSecretCommand' && input.ClientRequestToken !== undefined;
                if (scheduled !== undefined || !ours || !String(input.SecretId).includes('broken'))
                  return next(args);
                const started = await world
                  .raw()
                  .secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
                scheduled = started.VersionId;
                try {
                  return await next(args);
                } finally {
                  await finish();
                }
              },
              { step: 'initialize', name: 'scheduleDueMidRun' },
            ),
        },
      ];
    },
    says: /^$/,
    check: ({ result, state, brokenKeyId }) => {
      const rotations = result.outcomes.filter(
        (o) => o.action.credential === 'broken' && o.action.kind === 'rotate',
      );
      expect(rotations.map((o) => o.status)).toEqual(['deferred']);
      expect(rotations[0]?.detail).toMatch(
        /broken was rotated or is rotating elsewhere: another run, or Secrets Manager's own schedule/,
      );
      // Rotated once, by the schedule: one new key, in both plans.
      expect(newKeysOf(state, 'broken', brokenKeyId)).toHaveLength(1);
    },
  },
  {
    name: 'a stale AWSPENDING value written by hand: the pending version and what is wrong with it are named',
    breakIt: ({ world, secretArn }) =>
      world.raw().secrets.send(
        new PutSecretValueCommand({
          SecretId: secretArn,
          SecretString: '{"apiKey":"typed-by-hand"}',
          VersionStages: ['AWSPENDING'],
        }),
      ),
    says: /^resume-rotation broken: SecretFormatError: secret keyrot\/broken version [\w-]+ has an unexpected shape \(credential: .*expected string.*; apiKey: .*>=20 characters\)$/,
  },
  {
    name: 'the rotation schedule changed by hand: set back to the policy',
    day: 10,
    breakIt: ({ world, secretArn }) =>
      world.raw().secrets.send(
        new RotateSecretCommand({
          SecretId: secretArn,
          RotationRules: { AutomaticallyAfterDays: 7 },
          RotateImmediately: false,
        }),
      ),
    says: /^$/,
    healthyRotates: false,
  },
  {
    name: "the schedule changed by hand, and Secrets Manager's own schedule starting a rotation as the run sets it back: deferred",
    day: 10,
    breakIt: async ({ world, secretArn }) => {
      await world.raw().secrets.send(
        new RotateSecretCommand({
          SecretId: secretArn,
          RotationRules: { AutomaticallyAfterDays: 7 },
          RotateImmediately: false,
        }),
      );
      // Just before the run's RotateSecret (RotateImmediately=false), the schedule comes due and starts
      // a rotation; its steps (not run here) would take a while.
      const due = before('RotateSecretCommand', 'broken', () =>
        world.raw().secrets.send(new RotateSecretCommand({ SecretId: secretArn })),
      );
      return [due];
    },
    says: /^$/,
    healthyRotates: false,
    check: ({ result }) => {
      const configured = result.outcomes.filter(
        (o) => o.action.credential === 'broken' && o.action.kind === 'configure-rotation',
      );
      expect(configured.map((o) => [o.status, o.detail])).toEqual([
        ['deferred', expect.stringMatching(/^broken is rotating .*the next run sets its schedule$/)],
      ]);
    },
  },
  {
    name: 'the secret re-tagged by hand to another credential: its name wins, it still rotates',
    breakIt: ({ world, secretArn }) =>
      world.raw().secrets.send(
        new SecretsTagResourceCommand({
          SecretId: secretArn,
          Tags: [{ Key: 'rotation:credential', Value: 'other' }],
        }),
      ),
    says: /secret keyrot\/broken: tag rotation:credential="other" disagrees with its name, which makes it credential broken; the name is used/,
  },
  {
    name: 'the key removed from all its plans by hand',
    breakIt: async ({ world, plans, keyId }) => {
      for (const usagePlanId of plans)
        await world.raw().apigw.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId }));
    },
    says: /^credential broken: current key \w+ is in no usage plan; a managed credential is retired by deleting its secret/,
  },
  {
    name: 'a usage plan deleted by hand mid-run, as the new key is created',
    breakIt: ({ world, plans }) => [
      before('CreateApiKeyCommand', 'broken', () =>
        world.raw().apigw.send(new DeleteUsagePlanCommand({ usagePlanId: plans[1] })),
      ),
    ],
    says: /^$/,
    plansAfter: (plans) => [plans[0]!],
  },
  {
    name: 'the old key deleted by hand during its grace period',
    runFirst: [30],
    day: 37,
    breakIt: async ({ world, keyId }) => {
      await world.raw().apigw.send(new DeleteApiKeyCommand({ apiKey: keyId }));
    },
    says: /^$/,
    healthyRotates: false,
  },
  {
    name: 'the old key re-enabled by hand after it was disabled',
    runFirst: [30, 37],
    day: 40,
    breakIt: ({ world, keyId }) =>
      world.raw().apigw.send(
        new UpdateApiKeyCommand({
          apiKey: keyId,
          patchOperations: [{ op: 'replace', path: '/enabled', value: 'true' }],
        }),
      ),
    says: /key \w+ of broken was disabled on .* and re-enabled by hand/,
    healthyRotates: false,
  },
  {
    name: 'a copy of the current key made by hand with the same tags',
    breakIt: async ({ world, plans, keyId }) => {
      const { apigw } = world.raw();
      const original = await apigw.send(new GetApiKeyCommand({ apiKey: keyId }));
      const copy = await apigw.send(
        new CreateApiKeyCommand({ name: 'copy-by-hand', enabled: true, tags: original.tags }),
      );
      await apigw.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plans[0], keyId: copy.id, keyType: 'API_KEY' }),
      );
    },
    // Not an ambiguity any more: the secret records which key is the credential's (issue 28).
    says: /key \w+ \(copy-by-hand\) is tagged rotation:credential=broken, but secret keyrot\/broken does not record it/,
    check: ({ result, state, plans, brokenKeyId }) => {
      const rotated = result.outcomes.filter(
        (o) => o.action.credential === 'broken' && o.action.kind === 'rotate',
      );
      expect(rotated.map((o) => [o.status, o.action.kind === 'rotate' && o.action.currentKeyId])).toEqual([
        ['done', brokenKeyId],
      ]);
      const copy = state.keys.find((k) => k.name === 'copy-by-hand');
      expect(copy).toMatchObject({ enabled: true, planIds: [plans[0]] });
    },
  },
  {
    name: 'API Gateway refusing new keys (account key quota reached)',
    breakIt: () => [
      {
        applyToStack: (stack) =>
          stack.add(
            (next, context) => async (args) => {
              if (
                context.commandName === 'CreateApiKeyCommand' &&
                JSON.stringify(args.input).includes('broken')
              )
                throw Object.assign(new Error('API key limit exceeded for this account'), {
                  name: 'LimitExceededException',
                  $fault: 'client',
                  $metadata: { httpStatusCode: 429 },
                });
              return next(args);
            },
            { step: 'initialize', name: 'keyQuota' },
          ),
      },
    ],
    says: /broken.*LimitExceeded|LimitExceeded.*broken/,
  },
  {
    name: 'a clock far ahead of the keys (a year late): one rotation, not many',
    breakIt: async () => {},
    day: 400,
    says: OVERDUE,
    check: ({ result, state, brokenKeyId }) => {
      const rotations = result.outcomes.filter(
        (o) => o.action.credential === 'broken' && o.action.kind === 'rotate',
      );
      expect(rotations.map((o) => o.status)).toEqual(['done']);
      expect(newKeysOf(state, 'broken', brokenKeyId).map((k) => k.tags['rotation:generation'])).toEqual([
        '2',
      ]);
    },
  },
  {
    name: 'a clock behind the keys (skew): nothing is due, nothing breaks',
    breakIt: async () => {},
    day: -10,
    says: /^$/,
    healthyRotates: false,
  },
];

/** The keys of a credential made by the run: all but its first. */
const newKeysOf = (state: AwsState, credential: string, firstKeyId: string) =>
  state.keys.filter((k) => k.tags['rotation:credential'] === credential && k.id !== firstKeyId);

function messages(result: RunResult): string[] {
  return [
    ...result.plan.findings.map((f) => f.message),
    ...result.outcomes
      .filter((o) => o.status === 'failed')
      // As the CLI and the report show it: the action and its credential beside the error.
      .map((o) => `${o.action.kind} ${o.action.credential}: ${o.error?.name}: ${o.error?.message}`),
  ];
}

describe('bad input: a clear message naming what is wrong; the other keys processed; nothing lost', () => {
  // One test a case, named in full (it.each's $name would cut a long name at 40 characters).
  for (const c of cases)
    it(c.name, async () => {
      const config = c.config ?? parseConfig(base);
      const world = new World(config);
      const plans = await createPlans(world.raw().apigw, ['gold', 'silver']);
      await onboardCredential(
        { ...world.clients(), config, now: dayAt(0) },
        { credential: 'healthy', usagePlanIds: plans },
      );
      const broken = await onboardCredential(
        { ...world.clients(), config, now: dayAt(0) },
        { credential: 'broken', usagePlanIds: plans },
      );
      for (const day of c.runFirst ?? []) await world.run(day);
      const broke = await c.breakIt({
        world,
        plans,
        keyId: broken.keyId,
        secretArn: broken.secretArn,
        arn: `arn:aws:apigateway:us-east-1::/apikeys/${broken.keyId}`,
      });
      const plugins = Array.isArray(broke) ? (broke as SdkPlugin[]) : [];
      const brokenBefore = (await readAwsState(world)).keys.filter(
        (k) => k.tags['rotation:credential'] === 'broken' || k.id === broken.keyId,
      );
      const result = await world.run(c.day ?? 30, plugins);
      const said = messages(result);
      if (c.says.source === '^$') expect(said).toEqual([]);
      else
        expect(
          said.some((m) => c.says.test(m)),
          said.join('\n'),
        ).toBe(true);
      // I4: never a key value in what it says, logs or reports.
      const state = await readAwsState(world);
      expect(await leakedKeyValues(world, [...said, ...world.logs, JSON.stringify(result.report)])).toEqual(
        [],
      );
      // The healthy credential: rotated as usual, I1 and I2 hold for it.
      const rotated = result.outcomes.some(
        (o) => o.action.credential === 'healthy' && o.action.kind === 'rotate' && o.status === 'done',
      );
      expect(rotated).toBe(c.healthyRotates ?? true);
      const healthyState = { ...state, secrets: state.secrets.filter((s) => s.credential === 'healthy') };
      expect(
        checkKeyInvariants(
          healthyState,
          new Map([['healthy', [...(c.plansAfter ?? ((p) => p))(plans)].sort()]]),
          config,
        ),
      ).toEqual([]);
      // Nothing lost: every key of the broken credential is still there, as enabled as it was.
      expect(
        result.outcomes.filter(
          (o) => o.action.credential === 'broken' && ['disable-key', 'delete-key'].includes(o.action.kind),
        ),
      ).toEqual([]);
      for (const key of brokenBefore.filter((k) => !(c.deletesKey && k.id === broken.keyId))) {
        expect(state.keys.find((k) => k.id === key.id)?.enabled, `key ${key.name}`).toBe(key.enabled);
      }
      c.check?.({ result, state, plans, brokenKeyId: broken.keyId });
    });
});
