/**
 * A suspended credential: its consumer is cut off on purpose (unpaid, abusive, offboarded) and stays
 * cut off until an operator says otherwise. `keyrot suspend` disables its keys and records the
 * suspension on the secret; nothing scheduled gives the consumer a working key again (not the
 * reconciler, not an emergency selector, not Secrets Manager's schedule: the rotation function refuses).
 * Only `keyrot resume` and `keyrot rotate <credential>` do.
 *
 * The tag: `<suspended-at ISO-8601> version=<AWSCURRENT version>`; the suspension stands while that
 * version is current (a rotation the operator asked for ends it), and `suspend-reason` says why.
 */
import { TAG, formatInstant, tagName } from './tags.js';
import type { Finding } from './types.js';

export interface Suspension {
  since: Date;
  /** The AWSCURRENT version when it was suspended; absent in a tag written by hand. */
  version: string | undefined;
  reason: string;
}

/** What a Secrets Manager tag value may hold (letters, digits, spaces and `_ . : / = + - @`), at most 256. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const FORM =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)(?: version=([A-Za-z0-9_.:/@+=-]{1,64}))?$/;

/** What is wrong with a reason a tag would hold, naming the characters it can't: nothing is dropped. */
export function reasonProblem(reason: string): string | undefined {
  if (reason.length === 0) return '--reason is empty: say why the credential is suspended';
  if (reason.length > 256) return `--reason is ${reason.length} characters; at most 256`;
  if (TAG_VALUE.test(reason)) return undefined;
  const bad = [...new Set([...reason].filter((ch) => !TAG_VALUE.test(ch)))].join(' ');
  return `--reason holds characters a Secrets Manager tag can't: ${bad} (letters, digits, spaces and _ . : / = + - @ only)`;
}

export function suspensionTags(prefix: string, suspension: Suspension): Record<string, string> {
  const version = suspension.version === undefined ? '' : ` version=${suspension.version}`;
  return {
    [tagName(prefix, TAG.suspended)]: `${formatInstant(suspension.since)}${version}`,
    [tagName(prefix, TAG.suspendReason)]: suspension.reason,
  };
}

export const suspensionTagKeys = (prefix: string): string[] => [
  tagName(prefix, TAG.suspended),
  tagName(prefix, TAG.suspendReason),
];

/**
 * The suspension a secret records: undefined when none. A malformed tag still suspends (cutting a
 * consumer off is the safe reading of an unreadable suspension) and comes with a finding.
 */
export function readSuspension(
  prefix: string,
  tags: Record<string, string>,
  secretName: string,
  credential: string,
): { suspension: Suspension; finding?: Finding } | undefined {
  const tag = tagName(prefix, TAG.suspended);
  const raw = tags[tag];
  if (raw === undefined) return undefined;
  const reason = tags[tagName(prefix, TAG.suspendReason)] ?? 'no reason given';
  const match = FORM.exec(raw);
  const since = match === null ? undefined : new Date(match[1]!);
  if (match === null || since === undefined || Number.isNaN(since.getTime())) {
    return {
      suspension: { since: new Date(0), version: undefined, reason },
      finding: {
        kind: 'malformed-tag',
        credential,
        tag,
        message: `secret ${secretName}: tag ${tag}=${JSON.stringify(raw)} is malformed; expected an ISO-8601 UTC time, then optionally " version=<version>" (keyrot suspend writes it); ${credential} is treated as suspended until it is corrected, or resumed (keyrot resume ${credential})`,
      },
    };
  }
  return { suspension: { since, version: match[2], reason } };
}

/** It stands while the version it suspended is current; a tag without one stands until removed. */
export const suspensionStands = (s: Suspension, currentVersion: string | undefined): boolean =>
  s.version === undefined || s.version === currentVersion;

/** The suspension standing on a credential's secret now: undefined when none, or a rotation since ended it. */
export function standingSuspension(
  prefix: string,
  secret: { name: string; tags: Record<string, string> },
  credential: string,
  currentVersion: string | undefined,
): Suspension | undefined {
  const recorded = readSuspension(prefix, secret.tags, secret.name, credential);
  return recorded !== undefined && suspensionStands(recorded.suspension, currentVersion)
    ? recorded.suspension
    : undefined;
}
