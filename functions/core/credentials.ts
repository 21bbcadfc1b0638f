import type { Config, Policy } from './config.js';
import {
  TAG,
  parseCredentialTag,
  parseGenerationTag,
  parseInstantTag,
  tagKey,
  type Parsed,
  type TagName,
} from './tags.js';
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
  graceUntil: Date | undefined;
  pausedUntil: Date | undefined;
  policyName: string | undefined;
}

/** A consumer's logical key across rotations: its secret and every generation's API key. */
export interface Credential {
  name: string;
  secret: ObservedSecret | undefined;
  keys: ManagedKey[];
  /** Keys of this credential whose tags could not be read; never acted on. */
  unreadable: ObservedKey[];
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
    take(parseInstantTag(key.tags, tagKey(prefix, name), key.id, credential), findings) ?? undefined;
  const generation = take(
    parseGenerationTag(key.tags, tagKey(prefix, TAG.generation), key.id, credential),
    findings,
  );
  const createdAt = instant(TAG.createdAt);
  const activatedAt = instant(TAG.activatedAt);
  const disabledAt = instant(TAG.disabledAt);
  const graceUntil = instant(TAG.graceUntil);
  const pausedUntil = instant(TAG.pausedUntil);
  if (findings.length > before) return undefined;
  return {
    key,
    credential,
    generation: generation ?? undefined,
    version: key.tags[tagKey(prefix, TAG.version)],
    createdAt: createdAt ?? key.createdDate,
    activatedAt,
    disabledAt,
    graceUntil,
    pausedUntil,
    policyName: key.tags[tagKey(prefix, TAG.policy)],
  };
}

/** The credential a secret holds: its name says it (consumers read it by name), else its tag. */
export function secretCredential(
  secret: Pick<ObservedSecret, 'name' | 'tags'>,
  config: Config,
): string | undefined {
  if (secret.name.startsWith(config.secretPrefix)) return secret.name.slice(config.secretPrefix.length);
  return secret.tags[tagKey(config.tagPrefix, TAG.credential)];
}

/** A credential tag on a secret that names another credential than the secret's name does. */
function secretTagMismatch(secret: ObservedSecret, name: string, config: Config): Finding | undefined {
  const tag = tagKey(config.tagPrefix, TAG.credential);
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
  const credentialOf = (name: string): Credential => {
    let credential = byName.get(name);
    if (credential === undefined) {
      credential = { name, secret: undefined, keys: [], unreadable: [] };
      byName.set(name, credential);
    }
    return credential;
  };

  for (const key of inventory.keys) {
    const name = take(
      parseCredentialTag(key.tags, tagKey(config.tagPrefix, TAG.credential), key.id),
      findings,
    );
    if (name === null) continue;
    if (name === undefined) {
      unmanagedKeys.push(key);
      continue;
    }
    const credential = credentialOf(name);
    const managed = parseManagedKey(key, name, config.tagPrefix, findings);
    if (managed === undefined) credential.unreadable.push(key);
    else credential.keys.push(managed);
  }
  for (const secret of inventory.secrets) {
    const name = secretCredential(secret, config);
    if (name === undefined) continue;
    credentialOf(name).secret = secret;
    const mismatch = secretTagMismatch(secret, name, config);
    if (mismatch !== undefined) findings.push(mismatch);
  }
  const credentials = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { credentials, unmanagedKeys, findings };
}

export type PolicyChoice = { ok: true; name: string; policy: Policy } | { ok: false; finding: Finding };

export function resolvePolicy(key: ManagedKey, config: Config): PolicyChoice {
  const name = key.policyName ?? config.defaultPolicy;
  const policy = config.policies[name];
  if (policy !== undefined) return { ok: true, name, policy };
  const tag = tagKey(config.tagPrefix, TAG.policy);
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
