/**
 * A mass emergency rotation (a leaked export, a compromised consumer fleet) is a request recorded on
 * each selected credential's secret, not a process: `keyrot rotate --all` tags the secrets, and every
 * reconciler run from then on (the CLI's own, the schedule's) rotates the credentials still on the
 * version the request names, as fast as the quotas allow, until none is left. A run that ends, a
 * Lambda timeout or a closed terminal loses nothing: the next run carries on.
 *
 * The tag: `<requested-at ISO-8601> [grace=<seconds>] [from=<version>]`. The grace, when given,
 * shortens the old key's (0: disabled by the first run after the rotation, whether or not it still
 * takes requests). `from` is the AWSCURRENT version when it was requested: the request stands while
 * that version is current, exactly (a time alone can't tell a rotation that finished in the same second
 * as the request: activations are kept to the second). Without it (a tag written by hand), the request
 * stands while the current key became current before it.
 */
import type { Policy } from './config.js';
import { addDays } from './time.js';
import type { ManagedKey } from './credentials.js';
import type { Finding } from './types.js';

export const REQUEST_TAG = 'rotate-requested';

export interface RotationRequest {
  requestedAt: Date;
  /** The old key's grace after the emergency rotation, when shorter than its policy's. */
  graceMs?: number | undefined;
  /** The AWSCURRENT version to rotate away from. */
  fromVersion?: string | undefined;
}

export function requestTag(prefix: string, request: RotationRequest): Record<string, string> {
  const grace = request.graceMs === undefined ? '' : ` grace=${Math.round(request.graceMs / 1000)}`;
  const from = request.fromVersion === undefined ? '' : ` from=${request.fromVersion}`;
  return { [`${prefix}${REQUEST_TAG}`]: `${request.requestedAt.toISOString()}${grace}${from}` };
}

const FORM =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)(?: grace=(\d{1,9}))?(?: from=([A-Za-z0-9_.:/@+=-]{1,64}))?$/;

/** The request on a secret: undefined when there is none, a finding when the tag is malformed. */
export function readRequest(
  prefix: string,
  tags: Record<string, string>,
  secretName: string,
  credential: string,
): RotationRequest | Finding | undefined {
  const tag = `${prefix}${REQUEST_TAG}`;
  const raw = tags[tag];
  if (raw === undefined) return undefined;
  const match = FORM.exec(raw);
  const requestedAt = match === null ? undefined : new Date(match[1]!);
  if (match === null || requestedAt === undefined || Number.isNaN(requestedAt.getTime())) {
    return {
      kind: 'malformed-tag',
      credential,
      tag,
      message: `secret ${secretName}: tag ${tag}=${JSON.stringify(raw)} is malformed; expected an ISO-8601 UTC time, then optionally " grace=<seconds>" and " from=<version>" (keyrot rotate --all writes it); no emergency rotation for ${credential} until it is corrected or removed`,
    };
  }
  return {
    requestedAt,
    graceMs: match[2] === undefined ? undefined : Number(match[2]) * 1000,
    fromVersion: match[3],
  };
}

export const isRequest = (value: RotationRequest | Finding | undefined): value is RotationRequest =>
  value !== undefined && 'requestedAt' in value;

/** The key the request rotates away from: the version it names, else one current before it. */
function rotatesAway(request: RotationRequest, key: ManagedKey): boolean {
  if (request.fromVersion !== undefined) return key.version === request.fromVersion;
  const since = key.activatedAt ?? key.createdAt;
  return since === undefined || since < request.requestedAt;
}

/** Outstanding: the current key is still the one the request rotates away from. */
export function requestOutstanding(request: RotationRequest, current: ManagedKey): boolean {
  return rotatesAway(request, current);
}

/**
 * When an old key's grace ends: its policy's grace from when it was superseded, shortened by the
 * request's when the key is the one the request rotated away from, superseded after it was made.
 * `emergency`: the request set it.
 */
export function graceEnd(
  key: ManagedKey,
  supersededAt: Date,
  policy: Policy,
  request: RotationRequest | undefined,
): { ends: Date; emergency: boolean } {
  const byPolicy = addDays(supersededAt, policy.graceDays);
  const answered =
    request?.graceMs !== undefined && supersededAt >= request.requestedAt && rotatesAway(request, key);
  if (!answered) return { ends: byPolicy, emergency: false };
  const byRequest = new Date(supersededAt.getTime() + request.graceMs!);
  return byRequest < byPolicy ? { ends: byRequest, emergency: true } : { ends: byPolicy, emergency: false };
}
