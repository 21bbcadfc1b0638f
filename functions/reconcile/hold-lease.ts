import type { Logger } from '@aws-lambda-powertools/logger';
import { errorMessage, KeyrotError } from '../commons/errors.js';
import type { LeaseStore } from '../aws/run-lease-store.js';
import {
  LEASE_TTL_SECONDS,
  leaseText,
  nextMove,
  type LeaseRecord,
  type Sighting,
} from '../core/run-lease.js';

/** Another run held the lease for the whole wait: this run started nothing. */
export class RunLeaseBusyError extends KeyrotError {}

export interface HeldLease {
  /** Another run held it when this one asked: what was read before is stale. */
  waited: boolean;
  /** The lease was taken over (this run stopped renewing it for a whole ttl): start nothing new. */
  lost(): boolean;
  /** Marks it released for the next run; waits for a renewal in flight. Never throws. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  runId: string;
  holder: string;
  runNow: Date;
  /** How long to wait for another run's lease before giving up (ms). */
  waitMs: number;
  log: Logger;
  ttlSeconds?: number;
  /** Monotonic milliseconds: waits and expiry are measured on it, never on another process's clock. */
  monotonic?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the run lease, waiting up to `waitMs` for the run that holds it, then renews it every third of
 * its ttl until released. Throws RunLeaseBusyError naming the holder when the wait runs out.
 */
export async function acquireRunLease(store: LeaseStore, options: LeaseOptions): Promise<HeldLease> {
  const monotonic = options.monotonic ?? (() => performance.now());
  const sleep = options.sleep ?? sleeper;
  const ttlSeconds = options.ttlSeconds ?? LEASE_TTL_SECONDS;
  const record: LeaseRecord = {
    runId: options.runId,
    holder: options.holder,
    runNow: options.runNow.toISOString(),
    ttlSeconds,
    beat: 0,
    released: false,
  };
  const started = monotonic();
  let seen: Sighting | undefined;
  let told: string | undefined;
  // Another run was there (it held the lease, or won a race for it) before this one got it.
  let contended = false;
  for (;;) {
    const move = nextMove(await store.read(), seen, monotonic());
    if (move.kind !== 'wait') {
      if (move.kind === 'take' && move.reason === 'expired')
        options.log.warn(`run lease ${store.where} taken over: nobody renewed it for its ttl`);
      const etag = await store.write(leaseText(record), move.kind === 'create' ? undefined : move.etag);
      if (etag !== undefined) return hold(store, record, etag, options.log, monotonic, contended);
      seen = undefined; // another run won this round: read again at once
      contended = true;
      continue;
    }
    seen = move.sighting;
    contended = true;
    const holder =
      move.holder === undefined
        ? `an object that ${move.problem ?? 'is not a lease'}`
        : `run ${move.holder.runId} (${move.holder.holder}, its time ${move.holder.runNow})`;
    const waited = monotonic() - started;
    if (waited + move.retryInMs > options.waitMs) {
      throw new RunLeaseBusyError(
        `another keyrot run holds API Gateway's share: ${holder} at ${store.where}; this run started nothing after waiting ${Math.round(waited / 1000)} s. Run again when it ends; a lease nobody renews is taken over after its ttl`,
      );
    }
    if (told !== holder) options.log.info(`waiting for the run lease ${store.where}`, { holder });
    told = holder;
    await sleep(move.retryInMs);
  }
}

function hold(
  store: LeaseStore,
  record: LeaseRecord,
  first: string,
  log: Logger,
  monotonic: () => number,
  waited: boolean,
): HeldLease {
  let etag = first;
  let lost = false;
  let lastBeat = monotonic();
  let inFlight: Promise<void> = Promise.resolve();
  const ttlMs = record.ttlSeconds * 1000;
  const renew = async (released: boolean) => {
    if (lost) return;
    record.beat += 1;
    record.released = released;
    try {
      const next = await store.write(leaseText(record), etag);
      if (next === undefined) {
        lost = true;
        log.warn(`run lease ${store.where} was taken over: this run starts nothing more`, {
          runId: record.runId,
        });
        return;
      }
      etag = next;
      lastBeat = monotonic();
    } catch (error) {
      // A failed renewal is retried at the next beat; past the ttl a waiter may have taken it over.
      log.warn(`run lease ${store.where} not renewed`, { error: errorMessage(error) });
      if (monotonic() - lastBeat >= ttlMs) lost = true;
    }
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(() => renew(false));
  }, ttlMs / 3);
  timer.unref();
  return {
    waited,
    lost: () => lost,
    async release() {
      clearInterval(timer);
      inFlight = inFlight.then(() => renew(true));
      await inFlight;
    },
  };
}
