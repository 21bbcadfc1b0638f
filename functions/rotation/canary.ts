import { RotationStepError } from '../commons/errors.js';
import type { Config } from '../core/config.js';

export interface CanaryOptions {
  attempts?: number;
  delayMs?: number;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A request with the new key to a URL that requires it. A new key takes seconds to minutes to work
 * everywhere, so 403s are retried a bounded number of times before the rotation step fails.
 */
export function httpCanary(url: string, options: CanaryOptions = {}): (value: string) => Promise<void> {
  const attempts = options.attempts ?? 6;
  const delayMs = options.delayMs ?? 10_000;
  const fetchImpl = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  return async (value) => {
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetchImpl(url, {
          headers: { 'x-api-key': value },
          signal: AbortSignal.timeout(5_000),
        });
        if (response.ok) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = error instanceof Error ? error.name : 'request failed';
      }
      if (attempt < attempts) await sleep(delayMs);
    }
    throw new RotationStepError(`canary ${url} refused the new key ${attempts} times (last: ${last})`);
  };
}

/** The canary of each replica region that has one configured (replicaCanaryUrls). */
export function replicaCanaries(
  urls: Readonly<Record<string, string>>,
  options: CanaryOptions = {},
): (region: string) => ((value: string) => Promise<void>) | undefined {
  return (region) => {
    const url = urls[region];
    return url === undefined ? undefined : httpCanary(url, options);
  };
}

/** The rotation's canaries as configured: the home region's (canaryUrl) and each replica region's. */
export function canariesOf(
  config: Pick<Config, 'canaryUrl' | 'replicaCanaryUrls'>,
  options: CanaryOptions = {},
): {
  canary: ((value: string) => Promise<void>) | undefined;
  canaryIn: (region: string) => ((value: string) => Promise<void>) | undefined;
} {
  return {
    canary: config.canaryUrl === undefined ? undefined : httpCanary(config.canaryUrl, options),
    canaryIn: replicaCanaries(config.replicaCanaryUrls, options),
  };
}
