import { parseConfig } from '../../functions/core/config.js';
import type { Inventory, ObservedKey, ObservedSecret } from '../../functions/core/types.js';

// Exact due days in these tables; staggering has its own tests.
export const config = parseConfig({ staggerPercent: 0 });
export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (days: number) => new Date(T0.getTime() + days * 86_400_000);
export const iso = (days: number) => at(days).toISOString();

interface KeySpec {
  id: string;
  credential?: string;
  generation?: number;
  version?: string;
  createdDay?: number;
  activatedDay?: number;
  disabledDay?: number;
  policy?: string;
  enabled?: boolean;
  plans?: string[];
  tags?: Record<string, string>;
}

/** A key as the inventory would observe it, with the service's tags. */
export function key(spec: KeySpec): ObservedKey {
  const tags: Record<string, string> = {};
  if (spec.credential !== undefined) tags['rotation:credential'] = spec.credential;
  if (spec.generation !== undefined) tags['rotation:generation'] = String(spec.generation);
  if (spec.version !== undefined) tags['rotation:version'] = spec.version;
  if (spec.createdDay !== undefined) tags['rotation:created-at'] = iso(spec.createdDay);
  if (spec.activatedDay !== undefined) tags['rotation:activated-at'] = iso(spec.activatedDay);
  if (spec.disabledDay !== undefined) tags['rotation:disabled-at'] = iso(spec.disabledDay);
  if (spec.policy !== undefined) tags['rotation:policy'] = spec.policy;
  return {
    id: spec.id,
    name: `key-${spec.id}`,
    enabled: spec.enabled ?? true,
    createdDate: at(spec.createdDay ?? 0),
    tags: { ...tags, ...spec.tags },
    planIds: spec.plans ?? ['plan-a'],
  };
}

export function secret(
  credential: string,
  versions: Record<string, string[]>,
  extra: Partial<ObservedSecret> = {},
): ObservedSecret {
  return {
    arn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:keyrot/${credential}-AbCdEf`,
    name: `keyrot/${credential}`,
    tags: { 'rotation:credential': credential },
    versions,
    rotationEnabled: true,
    rotationPeriodDays: 104, // the 90d policy's backstop: period plus grace
    ...extra,
  };
}

/**
 * Each secret records the keys that claim its credential as its own (what keyrot's writers leave),
 * unless it has a record already, or `ownership: 'none'` leaves secrets as made before records existed.
 */
export function inventory(
  keys: ObservedKey[],
  secrets: ObservedSecret[],
  { ownership = 'recorded' }: { ownership?: 'recorded' | 'none' } = {},
): Inventory {
  const recorded = (s: ObservedSecret): ObservedSecret => {
    if (ownership === 'none' || 'rotation:keys' in s.tags) return s;
    const credential = s.name.startsWith('keyrot/')
      ? s.name.slice('keyrot/'.length)
      : s.tags['rotation:credential'];
    const ids = keys.filter((k) => k.tags['rotation:credential'] === credential).map((k) => k.id);
    return { ...s, tags: { ...s.tags, 'rotation:keys': ids.join(' ') } };
  };
  return {
    keys,
    secrets: secrets.map(recorded),
    // A plan opens a stage, as real ones do (a plan without one is a finding of its own).
    plans: [
      {
        id: 'plan-a',
        name: 'A',
        apiStages: [{ apiId: 'api-a', stage: 'prod' }],
        throttle: { rateLimit: 10 },
        quota: { limit: 1000 },
      },
    ],
  };
}
