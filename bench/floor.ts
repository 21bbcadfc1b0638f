/**
 * The physical floor of a rotation wave: what its rotations cannot do without, at the quotas. Each
 * rotation creates one key (CreateApiKey, 5/s of its own), attaches it to each plan of the key it
 * replaces (CreateUsagePlanKey, in keyrot's share of API Gateway's shared 10/s) and writes its secret
 * (PutSecretValue and UpdateSecretVersionStage, 50/s). Reads, bookkeeping and pacing are overhead.
 */
import { DEFAULT_QUOTAS, quotaKey, SHARED_BUCKET } from '../functions/commons/pacing.js';

const SECRETS_WRITES = ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage'];

/** max(rotations/5, attachments/(10 x share), Secrets Manager writes/50) / scale, in ms. */
export function physicalFloorMs(
  calls: Record<string, number>,
  wave: { rotations: number; share: number; scale: number },
): number {
  const attachments = calls['apigateway:CreateUsagePlanKey'] ?? 0;
  const writes = SECRETS_WRITES.reduce((sum, op) => sum + (calls[`secretsmanager:${op}`] ?? 0), 0);
  const seconds = Math.max(wave.rotations / 5, attachments / (10 * wave.share), writes / 50) / wave.scale;
  return seconds * 1000;
}

/** The calls that drew on API Gateway's shared bucket (every operation without a quota of its own). */
export function sharedCalls(calls: Record<string, number>): number {
  return Object.entries(calls)
    .filter(([name]) => {
      const [service = '', operation = ''] = name.split(':');
      return service === 'apigateway' && quotaKey(service, operation, DEFAULT_QUOTAS) === SHARED_BUCKET;
    })
    .reduce((sum, [, n]) => sum + n, 0);
}
