import type { SdkPlugin } from '../../functions/commons/clients.js';
import { inject } from 'vitest';
import { seedUsage as seedUsageRoute, type UsageRecord } from '../../emulator/seed-usage.js';

export type { UsageRecord };

export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

let counter = 0;

/** A 12-digit account id no other test file (in any worker) uses: moto keeps each account apart. */
export function newAccountId(): string {
  counter += 1;
  const worker = Number(process.env.VITEST_POOL_ID ?? process.pid) % 1000;
  const random = Math.floor(Math.random() * 1000);
  return `${String(worker).padStart(3, '0')}${String(random).padStart(3, '0')}${String(counter).padStart(6, '0')}`;
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
