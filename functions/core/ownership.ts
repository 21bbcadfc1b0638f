/**
 * Which keys a credential owns. A key's credential tag is a claim anybody who may tag API keys can
 * make; keyrot attaches, disables and deletes only keys its credential's secret records, a record
 * written by keyrot's own writers (onboarding, adoption, the rotation function's setSecret) on the
 * secret, whose tags only Secrets Manager permissions change (docs/security.md).
 *
 * Secrets made before the record existed are migrated: a run records the keys it can prove from what
 * keyrot wrote on the secret before (the last rotation's old and new key, an adopted key) and from the
 * secret's own versions (the one key that carries a labelled version), and reports the rest.
 */
import { RECORD_TAG } from './rotation-record.js';
import { TAG, tagName } from './tags.js';

/** Key ids kept in the record, newest last: old keys are long deleted by then (about two are alive). */
export const OWNED_KEYS_KEPT = 12;
const TAG_VALUE_LIMIT = 256;
// API Gateway's ids are letters and digits; any id a tag can hold is kept as it is.
const KEY_ID = /^[A-Za-z0-9_.-]{1,128}$/;

const words = (value: string | undefined) => (value ?? '').split(' ').filter((w) => w !== '');

/** The key ids the secret records as its credential's; undefined when it has no record (made before it). */
export function readOwnedKeys(prefix: string, tags: Record<string, string>): string[] | undefined {
  const value = tags[tagName(prefix, TAG.ownedKeys)];
  return value === undefined ? undefined : words(value).filter((w) => KEY_ID.test(w));
}

/** The record with `added` appended (newest last), the oldest dropped past OWNED_KEYS_KEPT or the tag's size. */
export function ownedKeysTag(prefix: string, recorded: string[], added: string[]): Record<string, string> {
  const ids = [...recorded.filter((id) => !added.includes(id)), ...added].filter((id) => KEY_ID.test(id));
  let kept = ids.slice(-OWNED_KEYS_KEPT);
  while (kept.join(' ').length > TAG_VALUE_LIMIT) kept = kept.slice(1);
  return { [tagName(prefix, TAG.ownedKeys)]: kept.join(' ') };
}

/** A key that claims the credential by its tags. */
export interface Claimant {
  id: string;
  /** Its version tag: the secret version that holds its value. */
  version: string | undefined;
}

/**
 * For a secret without a record: the claimants keyrot can prove are the credential's. Named by what
 * keyrot wrote on the secret (the last recorded rotation's current and new key, an adopted key), or
 * the only claimant of a version the secret has: a copy of its tags makes that version prove nothing.
 */
export function provableKeys(
  prefix: string,
  secret: { tags: Record<string, string>; versions: Record<string, string[]> },
  claimants: Claimant[],
): string[] {
  const named = new Set([
    words(secret.tags[`${prefix}${RECORD_TAG.rotation}`])[2],
    words(secret.tags[`${prefix}${RECORD_TAG.key}`])[1],
    secret.tags[tagName(prefix, TAG.adoptedKey)],
  ]);
  const byVersion = new Map<string, string[]>();
  for (const c of claimants) {
    if (c.version === undefined || !(c.version in secret.versions)) continue;
    byVersion.set(c.version, [...(byVersion.get(c.version) ?? []), c.id]);
  }
  return claimants
    .filter((c) => named.has(c.id) || (c.version !== undefined && byVersion.get(c.version)?.length === 1))
    .map((c) => c.id);
}

export interface Ownership {
  /** The claimants the credential owns. */
  owned: Set<string>;
  /** Proved for a secret without a record: what the run records (undefined: the secret has its record). */
  toRecord: string[] | undefined;
}

export function ownership(
  prefix: string,
  secret: { tags: Record<string, string>; versions: Record<string, string[]> },
  claimants: Claimant[],
): Ownership {
  const recorded = readOwnedKeys(prefix, secret.tags);
  if (recorded !== undefined) return { owned: new Set(recorded), toRecord: undefined };
  const proved = provableKeys(prefix, secret, claimants);
  return { owned: new Set(proved), toRecord: proved };
}
