import { describe, expect, it } from 'vitest';
import type { LeaseStore } from '../../functions/aws/run-lease-store.js';
import { createLogger } from '../../functions/commons/logger.js';
import { leaseText, nextMove, parseLease, type LeaseRecord } from '../../functions/core/run-lease.js';
import { acquireRunLease, RunLeaseBusyError } from '../../functions/reconcile/hold-lease.js';

const record = (over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  runId: 'run-a',
  holder: 'reconciler keyrot-Reconciler',
  runNow: '2027-03-01T03:00:00.000Z',
  ttlSeconds: 60,
  beat: 0,
  released: false,
  ...over,
});

describe('the run lease: what a run that wants it does next', () => {
  it('creates it where there is none', () => {
    expect(nextMove(undefined, undefined, 0)).toEqual({ kind: 'create' });
  });

  it('takes a released lease at once, over the ETag it read', () => {
    const current = { etag: '"e1"', text: leaseText(record({ released: true })) };
    expect(nextMove(current, undefined, 0)).toEqual({ kind: 'take', etag: '"e1"', reason: 'released' });
  });

  it("waits for a held lease, however old its holder says it is: expiry is seen on the waiter's own clock", () => {
    const current = { etag: '"e1"', text: leaseText(record({ runNow: '2001-01-01T00:00:00.000Z' })) };
    const move = nextMove(current, undefined, 1_000);
    expect(move).toMatchObject({
      kind: 'wait',
      holder: { runId: 'run-a' },
      sighting: { etag: '"e1"', sinceMs: 1_000 },
    });
    expect(move.kind === 'wait' && move.retryInMs).toBe(5_000);
  });

  it('takes it over once the same ETag was seen for the whole ttl, not before', () => {
    const current = { etag: '"e1"', text: leaseText(record({ ttlSeconds: 30 })) };
    const seen = { etag: '"e1"', sinceMs: 1_000 };
    expect(nextMove(current, seen, 30_999)).toMatchObject({ kind: 'wait', retryInMs: 1 });
    expect(nextMove(current, seen, 31_000)).toEqual({ kind: 'take', etag: '"e1"', reason: 'expired' });
  });

  it('starts counting again when the holder renews (a new ETag)', () => {
    const current = { etag: '"e2"', text: leaseText(record({ beat: 1 })) };
    const move = nextMove(current, { etag: '"e1"', sinceMs: 0 }, 120_000);
    expect(move).toMatchObject({ kind: 'wait', sighting: { etag: '"e2"', sinceMs: 120_000 } });
  });

  it('treats an object that is not a lease as held for the default ttl, and says what is wrong with it', () => {
    const current = { etag: '"x"', text: 'not json' };
    expect(nextMove(current, undefined, 0)).toMatchObject({
      kind: 'wait',
      holder: undefined,
      problem: 'is not JSON',
    });
    expect(nextMove(current, { etag: '"x"', sinceMs: 0 }, 60_000)).toMatchObject({
      kind: 'take',
      reason: 'expired',
    });
    expect(parseLease('{"runId":"r"}')).toEqual({
      problem: 'is not a keyrot run lease (runId, holder, runNow, ttlSeconds, beat, released)',
    });
    expect(parseLease(JSON.stringify({ ...record(), ttlSeconds: 0 }))).toHaveProperty('problem');
    expect(parseLease('null')).toHaveProperty('problem');
  });
});

/** The store's contract (S3's conditional writes) kept in memory: the emulator test checks S3 keeps it. */
function memoryStore(): LeaseStore & { object?: { etag: string; text: string }; writes: string[] } {
  let n = 0;
  const store: LeaseStore & { object?: { etag: string; text: string }; writes: string[] } = {
    where: 's3://lease-bucket/run-lease.json',
    writes: [],
    read: () => Promise.resolve(store.object),
    write(text, over) {
      if (over === undefined ? store.object !== undefined : store.object?.etag !== over)
        return Promise.resolve(undefined);
      store.object = { etag: `"${++n}"`, text };
      store.writes.push(text);
      return Promise.resolve(store.object.etag);
    },
  };
  return store;
}

function fakeTime() {
  let now = 0;
  return {
    monotonic: () => now,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

const quiet = () => createLogger({ sink: () => {} });
const options = (over: object = {}) => ({
  runId: 'run-b',
  holder: 'cli alice@laptop',
  runNow: new Date('2027-03-01T03:00:00Z'),
  waitMs: 600_000,
  log: quiet(),
  ...fakeTime(),
  ...over,
});

describe('holding the run lease', () => {
  it('creates it, renews nothing before a third of its ttl, and leaves it released', async () => {
    const store = memoryStore();
    const lease = await acquireRunLease(store, options());
    expect(lease.waited).toBe(false);
    expect(lease.lost()).toBe(false);
    expect(parseLease(store.object!.text)).toMatchObject({
      runId: 'run-b',
      holder: 'cli alice@laptop',
      released: false,
    });
    await lease.release();
    expect(parseLease(store.object!.text)).toMatchObject({ runId: 'run-b', released: true, beat: 1 });
  });

  it('gives up after its wait with an error naming the holder and where the lease is, having written nothing', async () => {
    const store = memoryStore();
    store.object = { etag: '"held"', text: leaseText(record()) };
    const error = await acquireRunLease(store, options({ waitMs: 20_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunLeaseBusyError);
    expect((error as Error).message).toContain(
      "another keyrot run holds API Gateway's share: run run-a (reconciler keyrot-Reconciler, its time 2027-03-01T03:00:00.000Z) at s3://lease-bucket/run-lease.json",
    );
    expect(store.writes).toEqual([]);
  });

  it('takes over a lease nobody renewed for its ttl, and says it waited (what it read before is stale)', async () => {
    const store = memoryStore();
    store.object = { etag: '"dead"', text: leaseText(record({ ttlSeconds: 30 })) };
    const lease = await acquireRunLease(store, options());
    expect(lease.waited).toBe(true);
    expect(parseLease(store.object.text)).toMatchObject({ runId: 'run-b' });
    await lease.release();
  });

  it('knows it lost the lease when a renewal finds another ETag', async () => {
    const store = memoryStore();
    const lease = await acquireRunLease(store, options({ ttlSeconds: 0.03 }));
    store.object = { etag: '"thief"', text: leaseText(record({ runId: 'run-c' })) };
    await new Promise((r) => setTimeout(r, 40));
    expect(lease.lost()).toBe(true);
    await lease.release();
    expect(parseLease(store.object.text)).toMatchObject({ runId: 'run-c', released: false });
  });

  it('two runs at once: one holds it, the other waits until it is released, never both', async () => {
    const store = memoryStore();
    const first = await acquireRunLease(store, options({ runId: 'first' }));
    let secondHolds = false;
    const second = acquireRunLease(store, {
      ...options({ runId: 'second' }),
      sleep: () => new Promise((r) => setTimeout(r, 1)),
    }).then((l) => {
      secondHolds = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(secondHolds).toBe(false);
    await first.release();
    const lease = await second;
    expect(lease.waited).toBe(true);
    expect(parseLease(store.object!.text)).toMatchObject({ runId: 'second', released: false });
    await lease.release();
  });
});
