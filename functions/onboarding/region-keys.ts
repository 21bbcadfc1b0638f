import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { isAwsError } from '../commons/errors.js';
import type { RegionalKms } from '../commons/regional-kms.js';

/**
 * Why each region can't encrypt a replica with its keyrot stack's key (named by `alias`), by region;
 * a region whose key is there and enabled is left out. Secrets Manager would still make the secret and
 * fail that region's replication later (ReplicationStatus Failed), leaving consumers there without a
 * replica: onboarding reads this before its first write.
 */
export async function regionKeyProblems(
  kms: RegionalKms,
  regions: readonly string[],
  alias: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const region of regions) {
    try {
      const { KeyMetadata: key } = await kms(region).send(new DescribeKeyCommand({ KeyId: alias }));
      if (key?.KeyState !== 'Enabled') out.set(region, `its key ${alias} is ${key?.KeyState ?? 'unknown'}`);
    } catch (error) {
      if (!isAwsError(error, 'NotFoundException')) throw error;
      out.set(region, `it has no key ${alias}`);
    }
  }
  return out;
}
