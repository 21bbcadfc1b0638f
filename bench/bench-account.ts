import { parseConfig, type Config } from '../functions/core/config.js';

export const T0 = new Date('2026-01-01T03:00:00Z');

/**
 * 30-day policy, no staggering (the whole wave is due on one day), posture off, and a key quota above
 * the 10,000 of AWS: at exactly 10,000 keys AWS leaves no room for a rotation's second key, and keyrot
 * rightly refuses them all; the benchmark measures speed, not that refusal (tested elsewhere).
 */
export function benchConfig(): Config {
  return parseConfig(benchRawConfig());
}

/**
 * The configuration as deployed (the functions' KEYROT_CONFIG): the quotas scaled by BENCH_SCALE, the
 * rotation function ARN once deployed (BENCH_ROTATION_ARN).
 */
export function benchRawConfig(): Record<string, unknown> {
  const arn = process.env.BENCH_ROTATION_ARN;
  return {
    staggerPercent: 0,
    defaultPolicy: '30d',
    hygiene: { posture: { action: 'ignore' }, quota: { limit: 20_000, headroom: 100 } },
    pacing: {
      quotaScale: Number(process.env.BENCH_SCALE ?? 1),
      rotationsInFlight: Number(process.env.BENCH_IN_FLIGHT ?? 8),
    },
    ...(arn !== undefined && arn !== '' && { rotationLambdaArn: arn }),
  };
}

/** The account the benchmark runs in (moto's default one: its clients sign with made-up keys). */
export const BENCH_ACCOUNT = '123456789012';
