import { createHash } from 'node:crypto';
import type { Config, Policy } from './config.js';
import {
  TAG,
  parseCredentialTag,
  parseGenerationTag,
  parseInstantTag,
  tagName,
  type Parsed,
  type TagName,
} from './tags.js';
import { readActivations } from './rotation-record.js';
import { ownership } from './ownership.js';
import { homeRegionElsewhere } from './home-region.js';
import { addDays, staggerDays } from './time.js';
import type { Finding, Inventory, ObservedKey, ObservedSecret } from './types.js';

/** A managed key with its creation and lifecycle tags parsed. */
export interface ManagedKey {
  key: ObservedKey;
  credential: string;
  generation: number | undefined;
  version: string | undefined;
  createdAt: Date | undefined;
  activatedAt: Date | undefined;
  disabledAt: Date | undefined;
  /** When an emergency rotation revoked it (disabled because it leaked). */
  revokedAt: Date | undefined;
  /** When a rollback made it current again. */
  restoredAt: Date | undefined;
  graceUntil: Date | undefined;
  pausedUntil: Date | undefined;
  policyName: string | undefined;
}

/**
 * When a key last became current: its activation, or a rollback that made it current again later.
 * Its age (when it is due) still counts from its activation; this says when its predecessors retire.
 */
export function currentSince(key: ManagedKey): Date | undefined {
  const { activatedAt, restoredAt } = key;
  return restoredAt !== undefined && (activatedAt === undefined || restoredAt > activatedAt)
    ? restoredAt
    : activatedAt;
}

/**
 * The key that superseded `key`: the first other key to become current after `key` last did (a
 * later generation, or an older one a rollback restored). When that happened is when `key` began
 * retiring: its grace period counts from then.
 */
export function successorOf(key: ManagedKey, siblings: ManagedKey[]): ManagedKey | undefined {
  const since = currentSince(key);
  const generation = key.generation ?? Infinity;
  const later = (k: ManagedKey) => {
    const at = currentSince(k);
    if (k === key || at === undefined) return false;
    return since === undefined ? (k.generation ?? -Infinity) > generation : at > since;
  };
  return siblings.filter(later).sort((a, b) => currentSince(a)!.getTime() - currentSince(b)!.getTime())[0];
}

/** A consumer's logical key across rotations: its secret and every generation's API key. */
export interface Credential {
  name: string;
  secret: ObservedSecret | undefined;
  keys: ManagedKey[];
  /** Keys of this credential whose tags could not be read; never acted on. */
  unreadable: ObservedKey[];
  /** Keys whose tags claim this credential but whose secret does not record them (core/ownership.ts); never acted on. */
  foreign: ManagedKey[];
  /** A secret without an ownership record: the keys it proves, which the run records. */
  ownershipToRecord?: string[] | undefined;
  /**
   * Its secret here is a replica: the home region whose stack owns it (core/home-region.ts). Nothing in this
   * region acts on it; `keys` are then every key that claims it here, proven by nobody here.
   */
  homeRegion?: string | undefined;
}

export interface CredentialIndex {
  credentials: Credential[];
  unmanagedKeys: ObservedKey[];
  findings: Finding[];
}

function take<T>(parsed: Parsed<T>, findings: Finding[]): T | undefined | null {
  if (parsed.ok) return parsed.value;
  findings.push(parsed.finding);
  return null;
}

/** Parses one key's tags; a malformed tag is a finding and the key is left out of planning. */
function parseManagedKey(
  key: ObservedKey,
  credential: string,
  prefix: string,
  findings: Finding[],
): ManagedKey | undefined {
  const before = findings.length;
  const instant = (name: TagName) =>
    take(parseInstantTag(key.tags, tagName(prefix, name), key.id, credential), findings) ?? undefined;
  const generation = take(
    parseGenerationTag(key.tags, tagName(prefix, TAG.generation), key.id, credential),
    findings,
  );
  const createdAt = instant(TAG.createdAt);
  const activatedAt = instant(TAG.activatedAt);
  const disabledAt = instant(TAG.disabledAt);
  const revokedAt = instant(TAG.revokedAt);
  const restoredAt = instant(TAG.restoredAt);
  const graceUntil = instant(TAG.graceUntil);
  const pausedUntil = instant(TAG.pausedUntil);
  if (findings.length > before) return undefined;
  return {
    key,
    credential,
    generation: generation ?? undefined,
    version: key.tags[tagName(prefix, TAG.version)],
    createdAt: createdAt ?? key.createdDate,
    activatedAt,
    disabledAt,
    revokedAt,
    restoredAt,
    graceUntil,
    pausedUntil,
    policyName: key.tags[tagName(prefix, TAG.policy)],
  };
}

/**
 * A key of a credential owned here as another region has it (docs/multi-region.md), read like a home
 * key, activated when its version was (the secret's record); undefined when its tags can't be read.
 */
export function managedKeyElsewhere(
  key: ObservedKey,
  credential: string,
  secret: ObservedSecret,
  prefix: string,
): ManagedKey | undefined {
  const managed = parseManagedKey(key, credential, prefix, []);
  if (managed === undefined) return undefined;
  const c: Credential = { name: credential, secret, keys: [managed], unreadable: [], foreign: [] };
  applyActivations(c, readActivations(prefix, secret.tags));
  return managed;
}

/** The credential a secret holds: its name says it (consumers read it by name), else its tag. */
export function secretCredential(
  secret: Pick<ObservedSecret, 'name' | 'tags'>,
  config: Config,
): string | undefined {
  if (secret.name.startsWith(config.secretPrefix)) return secret.name.slice(config.secretPrefix.length);
  return secret.tags[tagName(config.tagPrefix, TAG.credential)];
}

/** A credential tag on a secret that names another credential than the secret's name does. */
function secretTagMismatch(secret: ObservedSecret, name: string, config: Config): Finding | undefined {
  const tag = tagName(config.tagPrefix, TAG.credential);
  const tagged = secret.tags[tag];
  if (tagged === undefined || tagged === name) return undefined;
  return {
    kind: 'malformed-tag',
    credential: name,
    tag,
    message: `secret ${secret.name}: tag ${tag}=${JSON.stringify(tagged)} disagrees with its name, which makes it credential ${name}; the name is used; correct or remove the tag`,
  };
}

/** Groups the inventory by credential. Keys without the credential tag are unmanaged. */
export function indexCredentials(inventory: Inventory, config: Config): CredentialIndex {
  const findings: Finding[] = [];
  const unmanagedKeys: ObservedKey[] = [];
  const byName = new Map<string, Credential>();
  // Credentials owned elsewhere, first: that region's stack reports what is wrong with their keys.
  const elsewhere = new Map<string, string>();
  for (const secret of inventory.secrets) {
    const name = secretCredential(secret, config);
    const home = homeRegionElsewhere(secret);
    if (name !== undefined && home !== undefined) elsewhere.set(name, home);
  }
  const credentialOf = (name: string): Credential => {
    let credential = byName.get(name);
    if (credential === undefined) {
      credential = { name, secret: undefined, keys: [], unreadable: [], foreign: [] };
      byName.set(name, credential);
    }
    return credential;
  };

  for (const key of inventory.keys) {
    const name = take(
      parseCredentialTag(key.tags, tagName(config.tagPrefix, TAG.credential), key.id),
      findings,
    );
    if (name === null) continue;
    if (name === undefined) {
      unmanagedKeys.push(key);
      continue;
    }
    const credential = credentialOf(name);
    const managed = parseManagedKey(key, name, config.tagPrefix, elsewhere.has(name) ? [] : findings);
    if (managed === undefined) credential.unreadable.push(key);
    else credential.keys.push(managed);
  }
  for (const secret of inventory.secrets) {
    const name = secretCredential(secret, config);
    if (name === undefined) continue;
    const credential = credentialOf(name);
    credential.secret = secret;
    credential.homeRegion = elsewhere.get(name);
    applyActivations(credential, readActivations(config.tagPrefix, secret.tags));
    const mismatch = secretTagMismatch(secret, name, config);
    if (mismatch !== undefined && credential.homeRegion === undefined) findings.push(mismatch);
  }
  for (const credential of byName.values()) settleOwnership(credential, config, findings);
  const credentials = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { credentials, unmanagedKeys, findings };
}

/** Keeps the keys the credential's secret records as its own; the other claimants are findings. */
function settleOwnership(credential: Credential, config: Config, findings: Finding[]): void {
  const { secret } = credential;
  // Owned elsewhere: its home region's stack proves which keys are its own; nothing here acts on any.
  if (secret === undefined || credential.homeRegion !== undefined) return;
  const claimants = credential.keys.map((k) => ({ id: k.key.id, version: k.version }));
  const { owned, toRecord } = ownership(config.tagPrefix, secret, claimants);
  credential.ownershipToRecord = toRecord;
  credential.foreign = credential.keys.filter((k) => !owned.has(k.key.id));
  credential.keys = credential.keys.filter((k) => owned.has(k.key.id));
  const tag = tagName(config.tagPrefix, TAG.credential);
  for (const { key } of credential.foreign) {
    findings.push({
      kind: 'ownership-mismatch',
      credential: credential.name,
      keyId: key.id,
      action: 'report',
      message: `key ${key.id} (${key.name}) is tagged ${tag}=${credential.name}, but secret ${secret.name} does not record it as a key of ${credential.name}: keyrot attaches, disables and deletes nothing for it; if it was made outside keyrot, remove the tag; if it is an old key of ${credential.name}, retire it by hand (runbooks/ownership-mismatch.md)`,
    });
  }
}

/**
 * A rotation's new key records when it became current on the secret (finishSecret), not on the key:
 * API Gateway's shared budget is the scarce one. A key tag (onboarding, adoption, rollback) counts
 * too; the later of the two is when the key last became current.
 */
function applyActivations(credential: Credential, activations: Map<number, Date>): void {
  for (const key of credential.keys) {
    const recorded = key.generation === undefined ? undefined : activations.get(key.generation);
    if (recorded !== undefined && (key.activatedAt === undefined || recorded > key.activatedAt))
      key.activatedAt = recorded;
  }
}

export type PolicyChoice = { ok: true; name: string; policy: Policy } | { ok: false; finding: Finding };

export function resolvePolicy(key: ManagedKey, config: Config): PolicyChoice {
  const name = key.policyName ?? config.defaultPolicy;
  const policy = config.policies[name];
  if (policy !== undefined) return { ok: true, name, policy };
  const tag = tagName(config.tagPrefix, TAG.policy);
  return {
    ok: false,
    finding: {
      kind: 'unknown-policy',
      credential: key.credential,
      keyId: key.key.id,
      tag,
      message: `key ${key.key.id}: tag ${tag}=${JSON.stringify(name)} names no policy; expected one of ${Object.keys(config.policies).join(', ')}`,
    },
  };
}

export function versionWithStage(secret: ObservedSecret, stage: string): string | undefined {
  return Object.entries(secret.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

/**
 * When the policy makes the next rotation of a credential due: a full period after its current key
 * became current. A credential that was never rotated comes due a fixed, per-credential number of
 * days early (staggering), so keys onboarded or adopted on one day come due over several. Never
 * rotated: generation 1 on a secret without a LastRotatedDate; a rollback makes generation 1 current
 * again, but its secret remembers the rotation. Undefined when the key's times are unknown (the
 * planner then rotates it at once). The planner acts on this date and `keyrot status` shows it.
 */
export function nextRotationAt(
  current: ManagedKey,
  secret: Pick<ObservedSecret, 'lastRotatedDate'>,
  policy: Policy,
  config: Pick<Config, 'staggerPercent'>,
): Date | undefined {
  const since = current.activatedAt ?? current.createdAt;
  if (since === undefined) return undefined;
  const neverRotated = current.generation === 1 && secret.lastRotatedDate === undefined;
  const early = neverRotated
    ? staggerDays(current.credential, Math.floor((policy.periodDays * config.staggerPercent) / 100))
    : 0;
  return addDays(since, policy.periodDays - early);
}

/**
 * The one rule for "overdue", with nextRotationAt the one for "due" (plan, status, reports, metrics):
 * a current key past its policy's period plus grace, counted from when it became current. Returns
 * that time, or undefined when the key is not overdue (or its times are unknown).
 */
export function overdueSince(current: ManagedKey, policy: Policy, now: Date): Date | undefined {
  const since = current.activatedAt ?? current.createdAt;
  if (since === undefined) return undefined;
  return now >= addDays(since, policy.periodDays + policy.graceDays) ? since : undefined;
}

/** The longest schedule Secrets Manager takes (RotationRules.AutomaticallyAfterDays). */
export const MAX_SCHEDULE_DAYS = 1000;

/**
 * The rotation schedule Secrets Manager keeps on the secret, in days. Secrets Manager rotates on its
 * own at LastRotatedDate plus these days, ignoring keyrot's pause, quota headroom and staggering: so
 * it is a backstop, set to when the key would be overdue (period plus grace); the reconciler rotates
 * first whenever it runs. While rotation is paused, the backstop moves past the pause's end.
 * Compliance rules see rotation enabled with a schedule either way.
 */
export function scheduleDays(
  policy: Policy,
  pause?: { until: Date | undefined; since: Date | undefined; now: Date },
): number {
  const backstop = policy.periodDays + policy.graceDays;
  if (pause?.until === undefined || pause.since === undefined || pause.until <= pause.now) return backstop;
  const pausedDays = Math.ceil((pause.until.getTime() - pause.since.getTime()) / 86_400_000);
  return Math.min(MAX_SCHEDULE_DAYS, Math.max(backstop, pausedDays + policy.graceDays));
}

/**
 * The version id of the rotation that replaces `fromVersion`: derived, not random, so every run that
 * plans this rotation names the same one and Secrets Manager keeps it to one rotation. `attempt`
 * salts it when that id is taken; attempt 0 is the id every release has derived.
 */
export function rotationToken(secretArn: string, fromVersion: string, attempt = 0): string {
  const salt = attempt === 0 ? '' : `|${attempt}`;
  const hex = createHash('sha256').update(`keyrot-rotation|${secretArn}|${fromVersion}${salt}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The token of the next rotation from `fromVersion`: the first derived id that names no version the
 * secret has and none a key carries. After a rollback `fromVersion` is current again while the version
 * it was first rotated to is still there (AWSPREVIOUS), and RotateSecret refuses a token in use.
 */
export function nextRotationToken(
  secret: Pick<ObservedSecret, 'arn' | 'versions'>,
  fromVersion: string,
  keyVersions: Iterable<string | undefined>,
): string {
  const taken = new Set<string | undefined>([...Object.keys(secret.versions), ...keyVersions]);
  let attempt = 0;
  while (taken.has(rotationToken(secret.arn, fromVersion, attempt))) attempt++;
  return rotationToken(secret.arn, fromVersion, attempt);
}
