import type { Finding } from './types.js';

/** Tag names, relative to the configured prefix. Creation tags never change after CreateApiKey. */
export const TAG = {
  credential: 'credential',
  generation: 'generation',
  version: 'version',
  createdAt: 'created-at',
  activatedAt: 'activated-at',
  disabledAt: 'disabled-at',
  /** Disabled because it leaked (an emergency rotation): a rollback brings it back only when forced. */
  revokedAt: 'revoked-at',
  /** Made current again by a rollback: its successors retire from then; its age still counts from its activation. */
  restoredAt: 'restored-at',
  /**
   * A shorter grace for a key, set by hand or by keyrot before its emergency rotations went through the
   * request tag (rotate-requested, which now holds an emergency's grace): still honoured, never written.
   */
  graceUntil: 'grace-until',
  /** Rotation of the credential is paused until then (with pause-reason). */
  pausedUntil: 'paused-until',
  pauseReason: 'pause-reason',
  policy: 'policy',
  exempt: 'exempt',
  exemptUntil: 'exempt-until',
  exemptReason: 'exempt-reason',
  /** On a secret: how many consumer roles its resource policy grants (the reconciler reads those policies). */
  consumers: 'consumers',
  /** On an adopted key's secret: the key it holds (a crashed adoption is finished by it). */
  adoptedKey: 'adopted-key',
  /** On the secret: the AWSCURRENT version the last recorded rotation (or onboarding) left. */
  recordedVersion: 'recorded-version',
  /** On the secret: the credential is suspended (keyrot suspend): when, and the version it holds. */
  suspended: 'suspended',
  suspendReason: 'suspend-reason',
  /**
   * On the secret: the API keys the credential owns, by id (core/ownership.ts). A key's own
   * credential tag is only a claim: whoever may tag a key could write it.
   */
  ownedKeys: 'keys',
} as const;
export type TagName = (typeof TAG)[keyof typeof TAG];

export const CREDENTIAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function tagName(prefix: string, name: TagName): string {
  return `${prefix}${name}`;
}

/** What a key is tagged with when it is made (or adopted): its creation tags, which never change. */
export interface KeyCreation {
  credential: string;
  generation: number;
  /** The secret version that holds its value. */
  version: string;
  createdAt: Date;
  /** When it became the credential's current key; a rotation's new key gets it at finishSecret. */
  activatedAt?: Date;
  policy?: string;
}

/** The one writer of creation tags (onboarding, adoption and rotation all tag their keys with these). */
export function creationTags(prefix: string, key: KeyCreation): Record<string, string> {
  return {
    [tagName(prefix, TAG.credential)]: key.credential,
    [tagName(prefix, TAG.generation)]: String(key.generation),
    [tagName(prefix, TAG.version)]: key.version,
    [tagName(prefix, TAG.createdAt)]: formatInstant(key.createdAt),
    ...(key.activatedAt !== undefined && {
      [tagName(prefix, TAG.activatedAt)]: formatInstant(key.activatedAt),
    }),
    ...(key.policy !== undefined && { [tagName(prefix, TAG.policy)]: key.policy }),
  };
}

/** Tag values must be ISO-8601 UTC timestamps, as written by toISOString(). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export function formatInstant(date: Date): string {
  return date.toISOString();
}

export type Parsed<T> = { ok: true; value: T | undefined } | { ok: false; finding: Finding };

function malformed(
  keyId: string,
  tag: string,
  value: string,
  expected: string,
  credential?: string,
): Parsed<never> {
  return {
    ok: false,
    finding: {
      kind: 'malformed-tag',
      keyId,
      tag,
      credential,
      message: `key ${keyId}: tag ${tag}=${JSON.stringify(value)} is malformed; expected ${expected}`,
    },
  };
}

export function parseInstantTag(
  tags: Record<string, string>,
  tag: string,
  keyId: string,
  credential?: string,
): Parsed<Date> {
  const raw = tags[tag];
  if (raw === undefined) return { ok: true, value: undefined };
  const date = new Date(raw);
  if (!ISO_INSTANT.test(raw) || Number.isNaN(date.getTime())) {
    return malformed(keyId, tag, raw, 'an ISO-8601 UTC time such as 2026-01-31T00:00:00Z', credential);
  }
  return { ok: true, value: date };
}

export function parseGenerationTag(
  tags: Record<string, string>,
  tag: string,
  keyId: string,
  credential?: string,
): Parsed<number> {
  const raw = tags[tag];
  if (raw === undefined) return { ok: true, value: undefined };
  if (!/^[1-9]\d{0,8}$/.test(raw)) return malformed(keyId, tag, raw, 'a whole number from 1', credential);
  return { ok: true, value: Number(raw) };
}

export function parseCredentialTag(tags: Record<string, string>, tag: string, keyId: string): Parsed<string> {
  const raw = tags[tag];
  if (raw === undefined) return { ok: true, value: undefined };
  if (!CREDENTIAL_PATTERN.test(raw)) {
    return malformed(keyId, tag, raw, '1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit');
  }
  return { ok: true, value: raw };
}
