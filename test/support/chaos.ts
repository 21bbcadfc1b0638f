/**
 * Randomized operator histories (issue 24): what people and other tools do beside keyrot, in orders
 * nobody lists, on the deployed path and the account's simulated clock. fast-check generates command
 * lists (fc.commands) and runs them against a model (fc.asyncModelRun); after every command an
 * independent reader (plain SDK reads, none of the product's code) checks what must hold:
 *
 * - S: a consumer cut off (keyrot suspend, or its current key disabled by hand) gets no working key
 *   (enabled and in a usage plan) it did not have right after the cut-off (an older key in its grace,
 *   when only the current key was switched off) until keyrot resume, or a keyrot rotate asked after it;
 *   AWSCURRENT does not move meanwhile unless such a rotate was asked. A key enabled by hand is a
 *   person letting it in: not keyrot's doing, so not checked until the next cut-off.
 * - I1 (after each scheduled run): a credential not cut off has a current key that is enabled and in
 *   every usage plan the credential is in (those of its enabled keys).
 * - I2: one AWSCURRENT version, at most one key newer than the current one.
 * - I3: no key deleted (but by hand) without having been disabled for a disable window first.
 * - I4: nothing the CLI printed holds a key value.
 * - O (issue 28): a key someone else made and tagged with a credential's name is left exactly as it
 *   was (it exists, enabled, in its own usage plan only), and no credential is attached to its plan for it.
 * - I5 (at the end of each history): runs at one instant converge: the third run writes nothing.
 * - Liveness and the auditors' view (Security Hub SecretsManager.1 and .4), after each scheduled run:
 *   rotation stays enabled on every secret, and a credential not cut off was rotated (LastRotatedDate)
 *   within its policy's period plus grace.
 *
 * fast-check shrinks a failing history to a minimal one; each one found becomes a plain regression test.
 */
import {
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  TagResourceCommand,
  CreateApiKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { rotationsSettled } from '../../emulator/clock-client.js';
import type { Config } from '../../functions/core/config.js';
import { onboardCredential } from '../../functions/onboarding/onboard.js';
import { Crasher } from './faults.js';
import {
  createPlans,
  dayAt,
  DeletionWatch,
  leakedValues,
  readAwsState,
  World,
  type AwsState,
  type KeyState,
} from './world.js';

/** The credentials a history may touch: the first three onboarded at setup, the last by keyrot onboard. */
export const CREDENTIALS = ['alpha', 'bravo', 'charlie', 'delta'] as const;
const ONBOARDED_AT_SETUP = CREDENTIALS.slice(0, 3);
/**
 * I3's window: the shortest of the built-in policies'. A hand may change a current key's policy tag,
 * and its older keys retire under the current key's policy: which window applied is not for a plain
 * reader to tell, but no key may go without being disabled this long.
 */
const MIN_DISABLE_WINDOW = 14;
type Credential = (typeof CREDENTIALS)[number];

interface CutOff {
  by: 'suspend' | 'hand';
  day: number;
  /** AWSCURRENT when it was cut off. */
  version: string;
  /** A keyrot rotate of this credential was asked after the cut-off: it may let the consumer back in. */
  operatorRotated: boolean;
  /** Someone enabled one of its keys by hand: a person let it in. */
  handEnabled: boolean;
  /**
   * Keys that still worked right after the cut-off: none after keyrot suspend; after a current key
   * disabled by hand, older keys in their grace (they retire on schedule, nobody switched them off).
   */
  workingAtCut: Set<string>;
}

export interface ChaosModel {
  day: number;
  lastDay: number;
  /** The day of the last scheduled run (the liveness allowance counts from it). */
  cutOff: Map<Credential, CutOff>;
  /** Credentials whose current key a hand deleted: broken, outside what keyrot can repair. */
  broken: Set<Credential>;
  /** Credentials that exist, and the day each was onboarded (at setup, or by a keyrot onboard of the history). */
  onboarded: Map<Credential, number>;
  commands: number;
}

export interface ChaosReal {
  world: World;
  plans: string[];
  /** The plans credentials are onboarded into, and the one none is in (where a hand may add a key). */
  onboardPlans: string[];
  sparePlan: string;
  violations: string[];
  history: string[];
  /** What the CLI printed since the last check (I4: never a key value). */
  printed: string[];
  /** I3 across the history; keys deleted by hand are not keyrot's deletions. */
  deletions: DeletionWatch;
  deletedByHand: Set<string>;
  /** Keys made outside keyrot and tagged with a credential's name (O), with the plans they were put in. */
  foreign: Map<string, string[]>;
}

const at = (model: ChaosModel) => dayAt(model.day).toISOString();
/** A credential's keys, as keyrot made them: a foreign key tagged with its name is not one (O). */
const credentialKeys = (state: AwsState, c: string, foreign: Map<string, string[]>) =>
  state.keys.filter((k) => k.tags['rotation:credential'] === c && !foreign.has(k.id));
const working = (keys: KeyState[]) => keys.filter((k) => k.enabled && k.planIds.length > 0);
const currentVersionOf = (state: AwsState, c: string) =>
  Object.entries(state.secrets.find((s) => s.credential === c)?.versions ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
const currentKeyOf = (state: AwsState, c: string) => {
  const secret = state.secrets.find((s) => s.credential === c);
  return state.keys.find((k) => k.value !== '' && k.value === secret?.currentValue);
};

/** The invariants, read with the plain SDK; `afterRun`: a scheduled run just had its chance to repair. */
export async function checkInvariants(
  model: ChaosModel,
  real: ChaosReal,
  config: Config,
  afterRun: boolean,
): Promise<void> {
  await rotationsSettled(real.world.endpoint);
  const state = await readAwsState(real.world);
  const found: string[] = [];
  found.push(
    ...leakedValues(
      state.keys.map((k) => k.value),
      real.printed.splice(0),
    ).map(() => 'I4: a key value was printed'),
  );
  real.deletions.observe(state, model.day, () => MIN_DISABLE_WINDOW);
  found.push(
    ...real.deletions.violations
      .splice(0)
      .filter((v) => ![...real.deletedByHand].some((id) => v.includes(`key ${id} `))),
  );
  for (const [id, planIds] of real.foreign) {
    const key = state.keys.find((k) => k.id === id);
    if (key?.enabled !== true || key.planIds.join(' ') !== planIds.join(' '))
      found.push(
        `O: foreign key ${id} was changed (${key === undefined ? 'deleted' : `enabled ${key.enabled}, plans ${key.planIds.join(' ')}`})`,
      );
  }
  for (const c of CREDENTIALS.filter((name) => model.onboarded.has(name))) {
    const keys = credentialKeys(state, c, real.foreign);
    const version = currentVersionOf(state, c);
    const current = currentKeyOf(state, c);
    const cut = model.cutOff.get(c);
    const secret = state.secrets.find((s) => s.credential === c);
    // An operator's rotate moved AWSCURRENT: that cut-off is over.
    if (cut?.operatorRotated === true && version !== cut.version) model.cutOff.delete(c);
    else if (cut !== undefined && !cut.handEnabled) {
      const open = working(keys).filter((k) => !cut.workingAtCut.has(k.id));
      if (!cut.operatorRotated && version !== cut.version)
        found.push(
          `S ${c}: cut off (${cut.by}) on day ${cut.day}, and AWSCURRENT moved without a keyrot rotate`,
        );
      if (open.length > 0)
        found.push(
          `S ${c}: cut off (${cut.by}) on day ${cut.day}, and key(s) ${open.map((k) => k.id).join(', ')} work`,
        );
    }
    const versions = Object.values(secret?.versions ?? {}).filter((s) => s.includes('AWSCURRENT'));
    if (versions.length !== 1) found.push(`I2 ${c}: ${versions.length} AWSCURRENT versions`);
    const generation = Number(current?.tags['rotation:generation'] ?? 0);
    const newer = keys.filter((k) => Number(k.tags['rotation:generation']) > generation);
    if (current !== undefined && newer.length > 1)
      found.push(`I2 ${c}: ${newer.length} keys newer than the current one`);
    if (!afterRun || model.broken.has(c)) continue;
    if (secret?.rotationEnabled !== true) found.push(`SecretsManager.1 ${c}: rotation is off`);
    if (model.cutOff.has(c)) continue;
    if (current === undefined) found.push(`I1 ${c}: AWSCURRENT names no existing key`);
    else {
      if (!current.enabled) found.push(`I1 ${c}: current key ${current.id} is disabled`);
      // Every plan the credential is in: those of its enabled keys (a hand may have changed them).
      const credentialPlans = new Set(keys.filter((k) => k.enabled).flatMap((k) => k.planIds));
      const missing = [...credentialPlans].filter((p) => !current.planIds.includes(p));
      if (missing.length > 0) found.push(`I1 ${c}: current key ${current.id} not in ${missing.join(', ')}`);
    }
    const policy = config.policies[current?.tags['rotation:policy'] ?? config.defaultPolicy];
    // Never rotated: its age counts from its onboarding.
    const rotated = secret?.lastRotatedDate ?? dayAt(model.onboarded.get(c) ?? 0);
    const age = (dayAt(model.day).getTime() - rotated.getTime()) / 86_400_000;
    // A rollback or a resume may hold a key up to a grace more (its default hold).
    const allowed = policy === undefined ? Infinity : policy.periodDays + 2 * policy.graceDays + 1;
    if (age > allowed)
      found.push(`SecretsManager.4 ${c}: last rotated ${age.toFixed(1)} days ago (at most ${allowed})`);
  }
  for (const v of found) real.violations.push(`after ${real.history.at(-1) ?? 'setup'}: ${v}`);
  if (found.length > 0)
    throw new Error(`invariants broken:\n${found.join('\n')}\nhistory:\n${real.history.join('\n')}`);
}

/**
 * A fresh account with the functions deployed, three usage plans, and the credentials onboarded on
 * day 0 into the first two (the third is where a hand may add a key).
 */
export async function chaosSetup(endpoint: string, config: Config, lastDay: number) {
  const world = new World(config, { endpoint });
  await world.deploy();
  await world.setClock(dayAt(0));
  const plans = await createPlans(world.raw().apigw, ['gold', 'silver', 'bronze']);
  for (const credential of ONBOARDED_AT_SETUP) {
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential, usagePlanIds: plans.slice(0, 2) },
    );
  }
  await rotationsSettled(world.endpoint);
  const model: ChaosModel = {
    day: 0,
    lastDay,
    cutOff: new Map(),
    broken: new Set(),
    onboarded: new Map(ONBOARDED_AT_SETUP.map((c) => [c, 0])),
    commands: 0,
  };
  const real: ChaosReal = {
    world,
    plans: [...plans].sort(),
    onboardPlans: plans.slice(0, 2),
    sparePlan: plans[2]!,
    violations: [],
    history: [],
    printed: [],
    deletions: new DeletionWatch(),
    deletedByHand: new Set(),
    foreign: new Map(),
  };
  real.deletions.observe(await readAwsState(world), 0, () => MIN_DISABLE_WINDOW);
  return { model, real };
}

type Command = fc.AsyncCommand<ChaosModel, ChaosReal>;

abstract class Step implements Command {
  constructor(readonly config: Config) {}
  check(model: Readonly<ChaosModel>): boolean {
    return model.day <= model.lastDay;
  }
  abstract act(model: ChaosModel, real: ChaosReal): Promise<boolean | void>;
  abstract toString(): string;
  async run(model: ChaosModel, real: ChaosReal): Promise<void> {
    model.commands++;
    real.history.push(`day ${model.day}: ${this.toString()}`);
    const afterRun = (await this.act(model, real)) === true;
    await checkInvariants(model, real, this.config, afterRun);
  }
}

/** Days pass; the scheduled run (and Secrets Manager's schedule, on the account's clock) does its work. */
class RunAfter extends Step {
  constructor(
    config: Config,
    readonly days: number,
  ) {
    super(config);
  }
  toString() {
    return `scheduled run after ${this.days} day(s)`;
  }
  async act(model: ChaosModel, real: ChaosReal) {
    model.day += this.days;
    await real.world.run(model.day);
    return true;
  }
}

/** Two scheduled runs at once (a retried invocation, a runbook's manual invoke). */
class TwoRuns extends Step {
  toString() {
    return 'two runs at once';
  }
  async act(model: ChaosModel, real: ChaosReal) {
    await Promise.all([real.world.run(model.day), real.world.run(model.day)]);
  }
}

/** A run whose process dies at its n-th write (before the call, or with its answer lost). */
class KilledRun extends Step {
  constructor(
    config: Config,
    readonly write: number,
    readonly when: 'before' | 'after',
  ) {
    super(config);
  }
  toString() {
    return `a run killed ${this.when} its write ${this.write}`;
  }
  async act(model: ChaosModel, real: ChaosReal) {
    const crasher = new Crasher({ write: this.write, when: this.when });
    await real.world.run(model.day, [crasher.plugin()]).catch(() => undefined);
  }
}

/** An on-call verb through the CLI, as an engineer types it; any exit code is allowed (refusals are fine). */
class Verb extends Step {
  constructor(
    config: Config,
    readonly verb: 'rotate' | 'rotate-revoke' | 'rotate-all' | 'rollback' | 'suspend' | 'resume',
    readonly credential: Credential,
  ) {
    super(config);
  }
  toString() {
    return `keyrot ${this.args().join(' ')}`;
  }
  args(): string[] {
    switch (this.verb) {
      case 'rotate':
        return ['rotate', this.credential];
      case 'rotate-revoke':
        return ['rotate', this.credential, '--grace', '0', '--yes'];
      case 'rotate-all':
        return ['rotate', '--all', '--grace', '12h'];
      case 'rollback':
        return ['rollback', this.credential];
      case 'suspend':
        return ['suspend', this.credential, '--reason', 'chaos', '--yes'];
      case 'resume':
        return ['resume', this.credential];
    }
  }
  async act(model: ChaosModel, real: ChaosReal) {
    const before = await readAwsState(real.world);
    const out = await real.world.cli([...this.args(), '--now', at(model)]);
    real.printed.push(out.stdout, out.stderr);
    real.history[real.history.length - 1] += ` -> exit ${out.code}`;
    const cut = model.cutOff.get(this.credential);
    // A named rotate (or a resume, which rotates past the period) asked after the cut-off may let the
    // consumer back in, now or by a later run.
    if (cut !== undefined && ['rotate', 'rotate-revoke', 'resume'].includes(this.verb))
      cut.operatorRotated = true;
    if (out.code !== 0) return;
    if (this.verb === 'resume') model.cutOff.delete(this.credential);
    if (this.verb === 'suspend') {
      model.cutOff.set(this.credential, {
        by: 'suspend',
        day: model.day,
        version: currentVersionOf(before, this.credential) ?? '',
        operatorRotated: false,
        handEnabled: false,
        workingAtCut: new Set(),
      });
    }
  }
}

/** keyrot onboard of the credential no setup made, into the first two plans (again: refused, exit 1). */
class Onboard extends Step {
  toString() {
    return 'keyrot onboard delta';
  }
  async act(model: ChaosModel, real: ChaosReal) {
    const out = await real.world.cli([
      'onboard',
      'delta',
      '--plan',
      ...real.onboardPlans,
      '--now',
      at(model),
    ]);
    real.printed.push(out.stdout, out.stderr);
    real.history[real.history.length - 1] += ` -> exit ${out.code}`;
    if (out.code === 0) model.onboarded.set('delta', model.day);
  }
}

/**
 * What another tool or a person does with the plain SDK: switch a key off or on, delete an old one,
 * take the current key out of a plan or put an old key into another, change the current key's policy
 * tag, remove the AWSPREVIOUS label.
 */
class ByHand extends Step {
  constructor(
    config: Config,
    readonly what:
      | 'disable-current'
      | 'disable-old'
      | 'enable-any'
      | 'delete-old'
      | 'remove-current-from-plan'
      | 'add-old-to-plan'
      | 'policy-30d'
      | 'policy-90d'
      | 'drop-previous-label'
      | 'delete-current'
      | 'tag-foreign',
    readonly credential: Credential,
  ) {
    super(config);
  }
  toString() {
    return `by hand: ${this.what} key of ${this.credential}`;
  }
  async act(model: ChaosModel, real: ChaosReal) {
    const state = await readAwsState(real.world);
    const current = currentKeyOf(state, this.credential);
    const keys = credentialKeys(state, this.credential, real.foreign);
    const old = keys.filter((k) => k.id !== current?.id);
    const { apigw } = real.world.raw();
    const setEnabled = (id: string, enabled: boolean) =>
      apigw.send(
        new UpdateApiKeyCommand({
          apiKey: id,
          patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }],
        }),
      );
    if (this.what === 'disable-current' && current?.enabled === true) {
      await setEnabled(current.id, false);
      if (!model.cutOff.has(this.credential))
        model.cutOff.set(this.credential, {
          by: 'hand',
          day: model.day,
          version: currentVersionOf(state, this.credential) ?? '',
          operatorRotated: false,
          handEnabled: false,
          workingAtCut: new Set(
            working(keys)
              .filter((k) => k.id !== current.id)
              .map((k) => k.id),
          ),
        });
    }
    if (this.what === 'disable-old' && old[0]?.enabled === true) await setEnabled(old[0].id, false);
    if (this.what === 'enable-any') {
      const off = keys.find((k) => !k.enabled);
      if (off === undefined) return;
      await setEnabled(off.id, true);
      const cut = model.cutOff.get(this.credential);
      // The current key enabled again by hand: that cut-off is over; any other key: a person let it in.
      if (cut?.by === 'hand' && off.id === current?.id) model.cutOff.delete(this.credential);
      else if (cut !== undefined) cut.handEnabled = true;
    }
    if (this.what === 'delete-current' && current !== undefined) {
      // Outside what keyrot can repair: its consumer's value is gone with the key.
      real.deletedByHand.add(current.id);
      model.broken.add(this.credential);
      await apigw.send(new DeleteApiKeyCommand({ apiKey: current.id }));
    }
    if (this.what === 'tag-foreign') {
      // Someone else's key in the plan no credential is in, given the tag that claims this credential.
      const plan = real.sparePlan;
      const made = await apigw.send(
        new CreateApiKeyCommand({ name: `foreign-${this.credential}`, enabled: true }),
      );
      await apigw.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan, keyId: made.id, keyType: 'API_KEY' }),
      );
      await apigw.send(
        new TagResourceCommand({
          resourceArn: `arn:aws:apigateway:${real.world.region}::/apikeys/${made.id}`,
          tags: { 'rotation:credential': this.credential },
        }),
      );
      real.foreign.set(made.id!, [plan]);
    }
    if (this.what === 'delete-old' && old[0] !== undefined) {
      real.deletedByHand.add(old[0].id);
      await apigw.send(new DeleteApiKeyCommand({ apiKey: old[0].id }));
    }
    if ((this.what === 'policy-30d' || this.what === 'policy-90d') && current !== undefined)
      await apigw.send(
        new TagResourceCommand({
          resourceArn: `arn:aws:apigateway:${real.world.region}::/apikeys/${current.id}`,
          tags: { 'rotation:policy': this.what.slice('policy-'.length) },
        }),
      );
    if (this.what === 'remove-current-from-plan' && current !== undefined && current.planIds[0] !== undefined)
      await apigw.send(new DeleteUsagePlanKeyCommand({ usagePlanId: current.planIds[0], keyId: current.id }));
    const elsewhere = real.plans.find((p) => !old[0]?.planIds.includes(p));
    if (this.what === 'add-old-to-plan' && old[0] !== undefined && elsewhere !== undefined)
      await apigw.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: elsewhere, keyId: old[0].id, keyType: 'API_KEY' }),
      );
    const secret = state.secrets.find((s) => s.credential === this.credential);
    const previous = Object.entries(secret?.versions ?? {}).find(([, s]) => s.includes('AWSPREVIOUS'))?.[0];
    if (this.what === 'drop-previous-label' && secret !== undefined && previous !== undefined)
      await real.world.raw().secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secret.name,
          VersionStage: 'AWSPREVIOUS',
          RemoveFromVersionId: previous,
        }),
      );
  }
}

/** Every command an operator history is made of. */
export function chaosCommands(config: Config): fc.Arbitrary<Command>[] {
  const credential = fc.constantFrom(...CREDENTIALS);
  return [
    fc.integer({ min: 1, max: 40 }).map((days) => new RunAfter(config, days)),
    fc.integer({ min: 1, max: 40 }).map((days) => new RunAfter(config, days)),
    fc.constant(new TwoRuns(config)),
    fc.constant(new Onboard(config)),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('before' as const, 'after' as const))
      .map(([write, when]) => new KilledRun(config, write, when)),
    fc
      .tuple(
        fc.constantFrom(
          'rotate' as const,
          'rotate-revoke' as const,
          'rotate-all' as const,
          'rollback' as const,
        ),
        credential,
      )
      .map(([verb, c]) => new Verb(config, verb, c)),
    // Suspension and resumption as often as every other verb together: the states this issue is about.
    fc
      .tuple(fc.constantFrom('suspend' as const, 'resume' as const), credential)
      .map(([verb, c]) => new Verb(config, verb, c)),
    fc
      .tuple(
        fc.constantFrom(
          'disable-current' as const,
          'disable-old' as const,
          'enable-any' as const,
          'delete-old' as const,
          'remove-current-from-plan' as const,
          'add-old-to-plan' as const,
          'policy-30d' as const,
          'policy-90d' as const,
          'drop-previous-label' as const,
          'delete-current' as const,
          'tag-foreign' as const,
        ),
        credential,
      )
      .map(([what, c]) => new ByHand(config, what, c)),
  ];
}

/**
 * I5: runs at one instant converge. After whatever the history left, a run and a second one carry
 * out and record what they can; a third at the same instant has nothing left to write.
 */
async function checkConvergence(model: ChaosModel, real: ChaosReal): Promise<void> {
  const { world } = real;
  for (let i = 0; i < 2; i++) {
    await world.run(model.day);
    await rotationsSettled(world.endpoint);
  }
  world.recorder.reset();
  const third = await world.run(model.day);
  const writes = world.recorder.writes().map((w) => w.command);
  if (writes.length === 0) return;
  const planned = third.plan.actions.map((a) => `${a.kind} ${a.credential ?? ''}`.trim());
  const violation = `I5: a third run on day ${model.day} still wrote (${writes.join(', ')}) for ${planned.join('; ')}`;
  real.violations.push(`after ${real.history.at(-1) ?? 'setup'}: ${violation}`);
  throw new Error(`${violation}\nhistory:\n${real.history.join('\n')}`);
}

export interface ChaosOptions {
  endpoint: string;
  config: Config;
  seeds: number;
  days: number;
  seed?: number;
}

/** Runs `seeds` generated histories of up to `days` simulated days; throws with the shrunk one on a violation. */
export async function runChaos(
  options: ChaosOptions,
): Promise<{ seeds: number; commands: number; violations: string[]; histories: string[][] }> {
  let commands = 0;
  const violations: string[] = [];
  const histories: string[][] = [];
  const maxCommands = Math.max(5, Math.ceil(options.days / 8));
  await fc.assert(
    fc.asyncProperty(
      fc.commands(chaosCommands(options.config), { maxCommands, size: 'max' }),
      async (cmds) => {
        const setup = await chaosSetup(options.endpoint, options.config, options.days);
        try {
          await fc.asyncModelRun(() => Promise.resolve(setup), cmds);
          await checkConvergence(setup.model, setup.real);
        } finally {
          commands += setup.model.commands;
          violations.push(...setup.real.violations);
          histories.push(setup.real.history);
        }
      },
    ),
    {
      numRuns: options.seeds,
      ...(options.seed !== undefined && { seed: options.seed }),
      endOnFailure: false,
    },
  );
  return { seeds: options.seeds, commands, violations, histories };
}
