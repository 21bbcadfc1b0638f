/**
 * Test helpers for the emulator that test/support/global-setup.ts starts once per run: its endpoint,
 * a fresh account per test file (moto keeps accounts apart, selected by the x-moto-account-id
 * header), client configuration, and GetUsage seeding.
 *
 *   const accountId = newAccountId();
 *   const apigw = withAccount(new APIGatewayClient(testClientConfig(accountId)), accountId);
 */
import type { Pluggable } from '@aws-sdk/types';
import { randomInt } from 'node:crypto';
import { inject } from 'vitest';
import { seedUsage as postUsage, type UsageRecord } from '../../emulator/seed-usage.js';

export type { UsageRecord };

/** The header moto reads the account from (12 digits; without it: 123456789012). */
export const ACCOUNT_HEADER = 'x-moto-account-id';

/** The emulator's http://127.0.0.1:PORT (provided by the integration project's global setup). */
export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

// Kept on `process`, which outlives a test file's module graph: a worker that runs several files
// re-imports this module for each, and a module-level counter would start again at 0.
const COUNTER = Symbol.for('keyrot.test.accountCounter');
const carrier = process as unknown as Record<symbol, number | undefined>;

/**
 * A 12-digit account id no other call returns, across files and parallel workers:
 * 5 digits of the worker's pid, a 4-digit per-process counter, and 3 random digits.
 */
export function newAccountId(): string {
  const n = (carrier[COUNTER] ?? 0) + 1;
  carrier[COUNTER] = n;
  const pid = String(process.pid % 100_000).padStart(5, '0');
  const count = String(n % 10_000).padStart(4, '0');
  const random = String(randomInt(0, 1000)).padStart(3, '0');
  return `${pid}${count}${random}`;
}

/** An SDK v3 plugin that sends every request of a client to one emulator account. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function accountPlugin(accountId: string): Pluggable<any, any> {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`not a 12-digit account id: ${accountId}`);
  return {
    applyToStack: (stack) => {
      stack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> } | undefined;
          if (request?.headers !== undefined) request.headers[ACCOUNT_HEADER] = accountId;
          return next(args);
        },
        { step: 'build', name: 'keyrotMotoAccountHeader', override: true },
      );
    },
  };
}

export interface TestClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  forcePathStyle?: boolean;
}

/**
 * Configuration for any SDK v3 client constructor against the emulator. The account travels in a
 * header, which configuration can't add: install accountPlugin(accountId) on the client (or use
 * withAccount). `forcePathStyle` is for S3 (bucket names in the path, as moto serves them).
 */
export function testClientConfig(
  accountId: string,
  region = 'us-east-1',
  options: { forcePathStyle?: boolean; maxAttempts?: number } = {},
): TestClientConfig {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`not a 12-digit account id: ${accountId}`);
  return {
    region,
    endpoint: emulatorEndpoint(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.forcePathStyle === true && { forcePathStyle: true }),
  };
}

/** Installs accountPlugin(accountId) on a client and returns the client. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withAccount<C extends { middlewareStack: { use(plugin: Pluggable<any, any>): void } }>(
  client: C,
  accountId: string,
): C {
  client.middlewareStack.use(accountPlugin(accountId));
  return client;
}

/**
 * Seeds GetUsage data for one account and region through the emulator's test-only route
 * (POST /_keyrot/usage; see emulator/keyrot_moto/usage.py). A later record for the same plan, key
 * and date replaces the earlier one.
 */
export async function seedUsage(accountId: string, region: string, records: UsageRecord[]): Promise<void> {
  await postUsage(emulatorEndpoint(), records, { accountId, region });
}
