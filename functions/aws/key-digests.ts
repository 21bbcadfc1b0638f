import { createHash } from 'node:crypto';
import { paginateGetApiKeys, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DigestedKey } from '../core/region-adoption.js';

/**
 * The enabled keys without `credentialTag` (the ones `unmanaged.action: adopt` would adopt), each with
 * the sha256 of its value: GetApiKeys with includeValues, the values hashed as each page arrives and
 * dropped. Nothing but the digests leaves this function, and they are compared in memory only.
 */
export async function readUnmanagedDigests(
  apigw: APIGatewayClient,
  credentialTag: string,
): Promise<DigestedKey[]> {
  const out: DigestedKey[] = [];
  for await (const page of paginateGetApiKeys({ client: apigw, pageSize: 500 }, { includeValues: true })) {
    for (const item of page.items ?? []) {
      if (item.id === undefined || item.value === undefined || item.enabled !== true) continue;
      if (item.tags?.[credentialTag] !== undefined) continue;
      out.push({
        id: item.id,
        name: item.name ?? '',
        digest: createHash('sha256').update(item.value).digest('hex'),
      });
    }
  }
  return out;
}
