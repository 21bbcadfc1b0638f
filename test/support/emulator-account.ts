import type { SdkPlugin } from '../../functions/commons/clients.js';
import { randomInt } from 'node:crypto';
import { inject } from 'vitest';
import { seedUsage as seedUsageRoute, type UsageRecord } from '../../emulator/seed-usage.js';

export type { UsageRecord };

export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

/**
 * A 12-digit account id no other test file uses: moto keeps each account apart. Random over 10^11
 * (module state restarts with every test file, so a counter would repeat across files).
 */
export function newAccountId(): string {
  return `9${String(randomInt(0, 100_000_000_000)).padStart(11, '0')}`;
}

/** Sends every request of a client to one emulator account. */
export function accountPlugin(accountId: string): SdkPlugin {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers !== undefined) request.headers['x-moto-account-id'] = accountId;
          return next(args);
        },
        { step: 'build', name: 'motoAccountHeader' },
      );
    },
  };
}

export function testClientConfig(accountId: string, region = 'us-east-1') {
  void accountId;
  return {
    region,
    endpoint: emulatorEndpoint(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}

/** Seeds GetUsage data for one test account. */
export async function seedUsage(accountId: string, region: string, records: UsageRecord[]): Promise<void> {
  await seedUsageRoute(emulatorEndpoint(), records, { accountId, region });
}
