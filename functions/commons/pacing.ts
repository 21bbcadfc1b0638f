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

export interface PacingStats {
  calls: number;
  waitedMs: number;
  /** Attempts that AWS answered with a throttling error (the SDK retried them with backoff). */
  throttled: number;
  byOperation: Record<string, number>;
}

const THROTTLING = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'LimitExceededException',
]);

/**
 * Paces every call of a run under the account's quotas, shared by all clients that use it. It sits
 * inside the SDK's retry loop, so retried attempts are paced too and throttling answers are counted.
 */
export class Pacer {
  readonly stats: PacingStats = { calls: 0, waitedMs: 0, throttled: 0, byOperation: {} };
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotas: Record<string, RateLimit>;

  constructor(
    options: {
      quotas?: Record<string, RateLimit>;
      scale?: number;
      clock?: () => number;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {
    const scale = options.scale ?? 1;
    this.quotas = Object.fromEntries(
      Object.entries(options.quotas ?? DEFAULT_QUOTAS).map(([k, q]) => [
        k,
        { perSecond: q.perSecond * scale, burst: Math.max(1, Math.round(q.burst * scale)) },
      ]),
    );
    for (const [key, limit] of Object.entries(this.quotas))
      this.buckets.set(key, new TokenBucket(limit, options.clock, options.sleep));
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
            if (key !== undefined) this.stats.waitedMs += await this.buckets.get(key)!.take();
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
  rotationsInFlight: number;
}

/** The reconciler's pacer: the whole of the (scaled) quotas, shared by every client of its run. */
export const reconcilerPacer = (share: PacingShare): Pacer => new Pacer({ scale: share.quotaScale });

/**
 * A rotation function container's pacer: its share of the quotas. At most `rotationsInFlight` rotations
 * run at once (the reconciler's limit), one container each, plus one: a rotation's finishSecret
 * invocation may still be returning when the run, seeing AWSCURRENT moved, starts the next rotation
 * (the bench saw 5 containers busy at once with 4 in flight). Together they stay within the quotas.
 */
export const rotationPacer = (share: PacingShare): Pacer =>
  new Pacer({ scale: share.quotaScale / (share.rotationsInFlight + 1) });
