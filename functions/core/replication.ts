import type { Config } from './config.js';
import { secretCredential } from './credentials.js';
import { homeRegionElsewhere } from './home-region.js';
import type { Finding, Inventory } from './types.js';

/**
 * A multi-region credential's replica that Secrets Manager could not keep up to date (ReplicationStatus
 * `Failed`: the region's KMS key missing or disabled, a secret of the same name there): consumers in that
 * region read a value that the next retirement cuts off. One finding per credential and region, raised
 * by the home region's stack (a replica's own region has no status to read). Pure.
 */
export function replicationFindings(inventory: Inventory, config: Config): Finding[] {
  return inventory.secrets.flatMap((secret) => {
    const credential = secretCredential(secret, config);
    if (credential === undefined || secret.deletedDate !== undefined) return [];
    if (homeRegionElsewhere(secret) !== undefined) return [];
    return (secret.replication ?? [])
      .filter((r) => r.status === 'Failed')
      .map((r): Finding => ({
        kind: 'replication-failed',
        credential,
        region: r.region,
        message: `credential ${credential}: the replica of secret ${secret.name} in ${r.region} failed to replicate (${r.message ?? 'no status message'}); consumers in ${r.region} read a value that stops working when its keys retire`,
      }));
  });
}
