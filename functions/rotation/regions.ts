import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  type DescribeSecretResponse,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { RotationStepError } from '../commons/errors.js';

/**
 * API Gateway of another region, one client per region (its own pacer: each region has its own
 * quotas). The rotation function of a credential's home region drives its keys everywhere
 * (docs/multi-region.md).
 */
export type RegionalApis = (region: string) => APIGatewayClient;

/**
 * The other regions a credential lives in: its secret's replica regions. Consumers there read the
 * replica, so each of those regions must accept every value AWSCURRENT can name.
 */
export function replicaRegionsOf(secret: DescribeSecretResponse): string[] {
  return [...new Set((secret.ReplicationStatus ?? []).flatMap((r) => (r.Region ? [r.Region] : [])))].sort();
}

/**
 * The client for each replica region, refused for a region the stack was not deployed to drive: its
 * role has no grant there, and a half-granted rotation would fail after keys exist elsewhere.
 */
export function regionalClients(
  credential: string,
  secretName: string,
  regions: readonly string[],
  allowed: readonly string[],
  apis: RegionalApis | undefined,
): Map<string, APIGatewayClient> {
  const out = new Map<string, APIGatewayClient>();
  for (const region of regions) {
    if (!allowed.includes(region) || apis === undefined) {
      throw new RotationStepError(
        `credential ${credential}: secret ${secretName} has a replica in ${region}, which is not one of this stack's replicaRegions (${allowed.join(', ') || 'none'}); add ${region} to keyrot:replicaRegions and deploy, or remove the replica`,
      );
    }
    out.set(region, apis(region));
  }
  return out;
}

/** How long finishSecret waits for the replicas before it revokes a leaked key anyway. */
export const REPLICA_WAIT_MS = 30_000;

/**
 * Waits until every replica of the secret is InSync (Secrets Manager replicates in seconds), at most
 * REPLICA_WAIT_MS: a leaked key must not stay alive for long because a region lags.
 */
export async function waitForReplicas(
  deps: { secrets: SecretsManagerClient; log: Logger },
  secretId: string,
  credential: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? REPLICA_WAIT_MS);
  for (;;) {
    const secret = await deps.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    const lagging = (secret.ReplicationStatus ?? []).filter((r) => r.Status !== 'InSync');
    if (lagging.length === 0) return true;
    if (Date.now() >= deadline) {
      deps.log.warn('replicas not in sync; the leaked key is revoked anyway', {
        credential,
        regions: lagging.map((r) => `${r.Region ?? '?'}: ${r.Status ?? '?'}`),
      });
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}
