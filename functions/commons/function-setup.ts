import type { Logger } from '@aws-lambda-powertools/logger';
import { ConfigError, type Config } from '../core/config.js';
import { errorMessage } from './errors.js';
import { loadConfig } from './load-config.js';

/**
 * A deployed function's set-up, once per container, from KEYROT_CONFIG as its stack gives it. A missing
 * or garbled configuration is a broken deployment: never defaults in its place (no rotation function,
 * no KMS key), never an unhandled rejection at init that Lambda reports without a word from keyrot.
 * Each invocation then fails with the error, logged with what is wrong and what to do.
 */
export function functionSetUp<T>(log: Logger, make: (config: Config) => T): () => Promise<T> {
  const ready = (async () => {
    const env = process.env.KEYROT_CONFIG;
    if (env === undefined || env.trim() === '') {
      throw new ConfigError(
        'KEYROT_CONFIG is not set: a keyrot function runs only with the configuration its stack gives it; redeploy the stack (cdk deploy) rather than editing the function',
      );
    }
    return make(await loadConfig());
  })();
  // Settled here, so a bad configuration is no unhandled rejection while the module loads.
  const settled = ready.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const result = await settled;
    if (result.ok) return result.value;
    log.error('configuration invalid: the function cannot run', { error: errorMessage(result.error) });
    throw result.error;
  };
}
