/**
 * A mass emergency rotation (a leaked export, a compromised consumer fleet) is a request recorded on
 * each selected credential's secret, not a process: `keyrot rotate --all` tags the secrets, and every
 * reconciler run from then on (the CLI's own, the schedule's) rotates the credentials whose current
 * key became current before the request, as fast as the quotas allow, until none is left. A run that
 * ends, a Lambda timeout or a closed terminal loses nothing: the next run carries on.
 *
 * The tag: `<requested-at ISO-8601> [grace=<seconds>]`; the grace, when given, shortens the old key's
 * (0: disabled by the first run after the rotation, whether or not it still takes requests).
 */
import type { Policy } from './config.js';
import type { ManagedKey } from './credentials.js';
import type { Finding } from './types.js';

export const REQUEST_TAG = 'rotate-requested';

export interface RotationRequest {
  requestedAt: Date;
  /** The old key's grace after the emergency rotation, when shorter than its policy's. */
  graceMs?: number | undefined;
}

export function requestTag(prefix: string, request: RotationRequest): Record<string, string> {
  const grace = request.graceMs === undefined ? '' : ` grace=${Math.round(request.graceMs / 1000)}`;
  return { [`${prefix}${REQUEST_TAG}`]: `${request.requestedAt.toISOString()}${grace}` };
}

const FORM = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)(?: grace=(\d{1,9}))?$/;

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
      message: `secret ${secretName}: tag ${tag}=${JSON.stringify(raw)} is malformed; expected an ISO-8601 UTC time, then optionally " grace=<seconds>" (keyrot rotate --all writes it); no emergency rotation for ${credential} until it is corrected or removed`,
    };
  }
  return { requestedAt, graceMs: match[2] === undefined ? undefined : Number(match[2]) * 1000 };
}

export const isRequest = (value: RotationRequest | Finding | undefined): value is RotationRequest =>
  value !== undefined && 'requestedAt' in value;

/** Outstanding: the current key became current before the request (or when is unknown). */
export function requestOutstanding(request: RotationRequest, current: ManagedKey): boolean {
  const since = current.activatedAt ?? current.createdAt;
  return since === undefined || since < request.requestedAt;
}

/**
 * When an old key's grace ends: its policy's grace from when it was superseded, shortened by the
 * request's when the supersession answered the request. `emergency`: the request set it.
 */
export function graceEnd(
  supersededAt: Date,
  policy: Policy,
  request: RotationRequest | undefined,
): { ends: Date; emergency: boolean } {
  const byPolicy = new Date(supersededAt.getTime() + policy.graceDays * 86_400_000);
  if (request?.graceMs === undefined || supersededAt < request.requestedAt)
    return { ends: byPolicy, emergency: false };
  const byRequest = new Date(supersededAt.getTime() + request.graceMs);
  return byRequest < byPolicy ? { ends: byRequest, emergency: true } : { ends: byPolicy, emergency: false };
}
