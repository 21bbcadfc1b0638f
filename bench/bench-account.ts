import { parseConfig, type Config } from '../functions/core/config.js';

export const T0 = new Date('2026-01-01T03:00:00Z');

/**
 * 30-day policy, no staggering (the whole wave is due on one day), posture off, and a key quota above
 * the 10,000 of AWS: at exactly 10,000 keys AWS leaves no room for a rotation's second key, and keyrot
 * rightly refuses them all; the benchmark measures speed, not that refusal (tested elsewhere).
 */
export function benchConfig(): Config {
  return parseConfig({
    staggerPercent: 0,
    defaultPolicy: '30d',
    hygiene: { posture: { action: 'ignore' }, quota: { limit: 20_000, headroom: 100 } },
  });
}
