import type { SdkPlugin } from './sdk-plugin.js';

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests that may go at once after a quiet spell. */
  burst: number;
}

/**
 * The control-plane quotas that matter, per account and region (docs/aws-facts.md): CreateApiKey and
 * DeleteApiKey 5/s (fixed), UpdateUsagePlan 1 per 20 s, GetResources 5 per 2 s, every other API
 * Gateway call 10/s with a burst of 40; Secrets Manager writes 50/s.
 */
export const DEFAULT_QUOTAS: Record<string, RateLimit> = {
  'apigateway:CreateApiKey': { perSecond: 5, burst: 5 },
  'apigateway:DeleteApiKey': { perSecond: 5, burst: 5 },
  'apigateway:UpdateUsagePlan': { perSecond: 0.05, burst: 1 },
  'apigateway:GetResources': { perSecond: 2.5, burst: 5 },
  'apigateway:*': { perSecond: 10, burst: 40 },
  'secretsmanager:write': { perSecond: 50, burst: 50 },
};

const SECRETS_WRITES = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CreateSecret',
  'TagResource',
  'UntagResource',
  'PutResourcePolicy',
]);

/** Which bucket a call draws from; undefined: not paced. */
export function quotaKey(
  service: string,
  operation: string,
  quotas: Record<string, RateLimit>,
): string | undefined {
  if (service === 'apigateway') {
    const own = `apigateway:${operation}`;
    return own in quotas ? own : 'apigateway:*';
  }
  if (service === 'secretsmanager' && SECRETS_WRITES.has(operation)) return 'secretsmanager:write';
  return undefined;
}

/** A token bucket: take() resolves when a request may go. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = limit.burst;
    this.last = clock();
  }

  /** Waits for a token, first come first served; returns how long it waited (ms). */
  take(): Promise<number> {
    const turn = this.queue.then(async () => {
      let waited = 0;
      for (;;) {
        const now = this.clock();
        this.tokens = Math.min(
          this.limit.burst,
          this.tokens + ((now - this.last) / 1000) * this.limit.perSecond,
        );
        this.last = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return waited;
        }
        const ms = Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000);
        waited += ms;
        await this.sleep(ms);
      }
    });
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }
}

/**
 * What happened between two readings of a pacer's statistics: a pacer lives as long as its Lambda
 * container, so a run reports its own share of them, not the container's running totals.
 */
export function statsSince(before: PacingStats, now: PacingStats): PacingStats {
  const byOperation: Record<string, number> = {};
  for (const [op, n] of Object.entries(now.byOperation)) byOperation[op] = n - (before.byOperation[op] ?? 0);
  const byBucket: PacingStats['byBucket'] = {};
  for (const [bucket, b] of Object.entries(now.byBucket)) {
    const was = before.byBucket[bucket] ?? { calls: 0, reserved: 0, waitedMs: 0 };
    byBucket[bucket] = {
      calls: b.calls - was.calls,
      reserved: b.reserved - was.reserved,
      waitedMs: b.waitedMs - was.waitedMs,
    };
  }
  return {
    calls: now.calls - before.calls,
    waitedMs: now.waitedMs - before.waitedMs,
    throttled: now.throttled - before.throttled,
    byOperation,
    byBucket,
  };
}

/** A copy of a pacer's statistics as they are now. */
export function snapshotStats(stats: PacingStats): PacingStats {
  return structuredClone(stats);
}

export interface PacingStats {
  calls: number;
  waitedMs: number;
  /** Attempts that AWS answered with a throttling error (the SDK retried them with backoff). */
  throttled: number;
  byOperation: Record<string, number>;
  /** Per bucket: calls made, calls reserved for rotations (made by the rotation function), time waited. */
  byBucket: Record<string, { calls: number; reserved: number; waitedMs: number }>;
}

const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
]);

/** API Gateway's bucket shared by every call without a quota of its own (and by deployments). */
export const SHARED_BUCKET = 'apigateway:*';

/**
 * The share holds over any 10 seconds, not only on average. A rotation's calls come some time after
 * the reconciler admitted it, and that delay varies by up to about a second (cold containers, a busy
 * host): the bench saw 63 calls in one 10-s window at 6/s, and 62 at 10/10.5 of it. Pacing to 10/11
 * of the share absorbs it.
 */
const WINDOW_S = 10;
const ADMISSION_JITTER_S = 1;
const SHARED_PACE = WINDOW_S / (WINDOW_S + ADMISSION_JITTER_S);

/**
 * Paces every call of a run under the account's quotas, shared by all clients that use it. It sits
 * inside the SDK's retry loop, so retried attempts are paced too and throttling answers are counted.
 * API Gateway's shared bucket is paced to `apiGatewayShare` of it, one request at a time (no burst:
 * the burst is left to the account's deployments, and keyrot's rate holds over any window).
 */
export class Pacer {
  readonly stats: PacingStats = { calls: 0, waitedMs: 0, throttled: 0, byOperation: {}, byBucket: {} };
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotas: Record<string, RateLimit>;

  constructor(
    options: {
      quotas?: Record<string, RateLimit>;
      scale?: number;
      /** The part of API Gateway's shared bucket to pace to (default all of it). */
      apiGatewayShare?: number;
      clock?: () => number;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {
    const scale = options.scale ?? 1;
    const share = options.apiGatewayShare ?? 1;
    this.quotas = Object.fromEntries(
      Object.entries(options.quotas ?? DEFAULT_QUOTAS).map(([k, q]) => [
        k,
        k === SHARED_BUCKET
          ? { perSecond: q.perSecond * scale * share * SHARED_PACE, burst: 1 }
          : { perSecond: q.perSecond * scale, burst: Math.max(1, Math.round(q.burst * scale)) },
      ]),
    );
    for (const [key, limit] of Object.entries(this.quotas))
      this.buckets.set(key, new TokenBucket(limit, options.clock, options.sleep));
  }

  /** Requests per second this pacer allows from a bucket. */
  rate(bucket: string): number {
    return this.quotas[bucket]?.perSecond ?? Infinity;
  }

  /** The least time the quotas allow for these calls ("service:Operation" to count), from full buckets (ms). */
  floorMs(calls: Record<string, number>): number {
    const perBucket = new Map<string, number>();
    for (const [name, count] of Object.entries(calls)) {
      const [service = '', operation = ''] = name.split(':');
      const key = quotaKey(service, operation, this.quotas);
      if (key !== undefined) perBucket.set(key, (perBucket.get(key) ?? 0) + count);
    }
    let floor = 0;
    for (const [key, count] of perBucket) {
      const q = this.quotas[key]!;
      floor = Math.max(floor, (Math.max(0, count - q.burst) / q.perSecond) * 1000);
    }
    return floor;
  }

  private bucketStats(key: string) {
    return (this.stats.byBucket[key] ??= { calls: 0, reserved: 0, waitedMs: 0 });
  }

  /**
   * Takes tokens for calls another process will make: the reconciler admits a rotation once the
   * budget has room for the calls its rotation function will make. Returns how long it waited (ms).
   */
  async reserve(calls: Record<string, number>): Promise<number> {
    let waited = 0;
    for (const [key, count] of Object.entries(calls)) {
      if (!this.buckets.has(key)) continue;
      for (let i = 0; i < count; i++) waited += await this.take(key, 'reserved');
    }
    return waited;
  }

  /** One token of a bucket, counted as a call made here or reserved for another process. */
  private async take(key: string, as: 'calls' | 'reserved'): Promise<number> {
    const waited = await this.buckets.get(key)!.take();
    const stats = this.bucketStats(key);
    stats[as]++;
    stats.waitedMs += waited;
    this.stats.waitedMs += waited;
    return waited;
  }

  plugin(service: string): SdkPlugin {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            const operation = String(context.commandName).replace(/Command$/, '');
            this.stats.calls++;
            const name = `${service}:${operation}`;
            this.stats.byOperation[name] = (this.stats.byOperation[name] ?? 0) + 1;
            const key = quotaKey(service, operation, this.quotas);
            if (key !== undefined) await this.take(key, 'calls');
            try {
              return await next(args);
            } catch (error) {
              if (error instanceof Error && THROTTLING.has(error.name)) this.stats.throttled++;
              throw error;
            }
          },
          // Inside the retry middleware: every attempt is paced.
          { step: 'finalizeRequest', priority: 'low', name: 'keyrotPacer' },
        );
      },
    };
  }
}

/** The pacing settings of the configuration (config.pacing). */
export interface PacingShare {
  quotaScale: number;
  apiGatewayShare: number;
}

/**
 * The pacer of one keyrot process (the reconciler, a rotation function container, the CLI): the
 * scaled quotas, and its share of API Gateway's shared bucket. Processes stay within the share
 * together because the reconciler admits each rotation it starts against its own pacer
 * (`reserve`): the calls a rotation function makes were paid for before RotateSecret.
 */
export const keyrotPacer = (pacing: PacingShare): Pacer =>
  new Pacer({ scale: pacing.quotaScale, apiGatewayShare: pacing.apiGatewayShare });

/**
 * The API Gateway calls one rotation's function makes, for the reconciler to reserve before starting
 * it: CreateApiKey and a CreateUsagePlanKey per plan; three reads more when its facts were not
 * recorded (the current key, its plans, the generations: test/integration/rotation/calls-per-step).
 */
export function rotationCost(planCount: number, recorded = true, revokes = false): Record<string, number> {
  // A revoke (zero grace) disables the old key in finishSecret: UpdateApiKey and its record's TagResource.
  return {
    [SHARED_BUCKET]: planCount + (recorded ? 0 : 3) + (revokes ? 2 : 0),
    'apigateway:CreateApiKey': 1,
  };
}
