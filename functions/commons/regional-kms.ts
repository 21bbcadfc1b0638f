import { KMSClient } from '@aws-sdk/client-kms';
import { clientConfig, type ClientOptions } from './clients.js';

/**
 * KMS of another region, one client per region, made on first use: onboarding checks there that the
 * region's stack key (its alias) exists before it replicates a secret there. A module of its own, so
 * only what onboards bundles the KMS client.
 */
export type RegionalKms = (region: string) => KMSClient;

export function regionalKmsClients(options: ClientOptions = {}): RegionalKms {
  const made = new Map<string, KMSClient>();
  return (region) => {
    let client = made.get(region);
    if (client === undefined) {
      client = new KMSClient(clientConfig({ ...options, region }));
      for (const plugin of options.plugins ?? []) client.middlewareStack.use(plugin);
      made.set(region, client);
    }
    return client;
  };
}
