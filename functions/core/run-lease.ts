/**
 * The run lease: one keyrot run at a time spends API Gateway's share. Two runs at once (the schedule
 * and an operator's `apply`, a retried invocation beside a manual one) would each pace to the whole
 * share and take twice it together. The lease is one small object written only with conditional puts;
 * who holds it renews it (a new ETag each beat). A waiter never compares clocks with the holder: it
 * takes the lease over only once it has seen the same ETag for the holder's whole ttl on its own
 * monotonic clock (the DynamoDB lock client's rule), or once the holder released it.
 */

export interface LeaseRecord {
  runId: string;
  /** Who runs it: the reconciler function or `cli user@host`, for the on-call engineer waiting on it. */
  holder: string;
  /** The run's own time (simulated on the emulator): shown, never compared. */
  runNow: string;
  /** How long the holder may go without renewing before a waiter takes the lease over. */
  ttlSeconds: number;
  /** Renewals so far: every write changes the object's ETag. */
  beat: number;
  released: boolean;
}

/** The object as read: its ETag and body. */
export interface LeaseObject {
  etag: string;
  text: string;
}

/** When this waiter first saw the lease's current ETag (its own monotonic clock, ms). */
export interface Sighting {
  etag: string;
  sinceMs: number;
}

export type LeaseMove =
  | { kind: 'create' }
  | { kind: 'take'; etag: string; reason: 'released' | 'expired' }
  | {
      kind: 'wait';
      holder: LeaseRecord | undefined;
      problem?: string;
      sighting: Sighting;
      retryInMs: number;
    };

/** The lease's key in its bucket (the reconciler's grants name it). */
export const RUN_LEASE_KEY = 'run-lease.json';
export const LEASE_TTL_SECONDS = 60;
/** A waiter looks again at least this often. */
export const LEASE_POLL_MS = 5_000;

/** The lease's body, or what is wrong with it (someone else wrote the object). */
export function parseLease(text: string): LeaseRecord | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  const r = raw as Partial<LeaseRecord> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.runId !== 'string' ||
    typeof r.holder !== 'string' ||
    typeof r.runNow !== 'string' ||
    typeof r.ttlSeconds !== 'number' ||
    !(r.ttlSeconds > 0) ||
    typeof r.beat !== 'number' ||
    typeof r.released !== 'boolean'
  ) {
    return { problem: 'is not a keyrot run lease (runId, holder, runNow, ttlSeconds, beat, released)' };
  }
  return {
    runId: r.runId,
    holder: r.holder,
    runNow: r.runNow,
    ttlSeconds: r.ttlSeconds,
    beat: r.beat,
    released: r.released,
  };
}

export function leaseText(record: LeaseRecord): string {
  return JSON.stringify(record);
}

/**
 * What a run that wants the lease does next, from the object as it reads now and what it saw before.
 * An object that is not a lease counts as held for the default ttl: left alone that long, it is taken.
 */
export function nextMove(
  current: LeaseObject | undefined,
  seen: Sighting | undefined,
  nowMs: number,
): LeaseMove {
  if (current === undefined) return { kind: 'create' };
  const parsed = parseLease(current.text);
  const holder = 'problem' in parsed ? undefined : parsed;
  if (holder?.released === true) return { kind: 'take', etag: current.etag, reason: 'released' };
  const sighting = seen?.etag === current.etag ? seen : { etag: current.etag, sinceMs: nowMs };
  const ttlMs = (holder?.ttlSeconds ?? LEASE_TTL_SECONDS) * 1000;
  const left = sighting.sinceMs + ttlMs - nowMs;
  if (left <= 0) return { kind: 'take', etag: current.etag, reason: 'expired' };
  return {
    kind: 'wait',
    holder,
    ...('problem' in parsed && { problem: parsed.problem }),
    sighting,
    retryInMs: Math.min(LEASE_POLL_MS, left),
  };
}
