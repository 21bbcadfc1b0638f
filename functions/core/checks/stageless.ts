import * as z from 'zod';
import { defineCheck } from './check.js';

/**
 * An enabled key whose usage plans open no API stage: API Gateway answers its requests 403, as if it
 * were disabled. Typically a stage removed from a plan, or a plan made ahead of its API.
 */
export const stageless = defineCheck({
  name: 'stageless',
  settings: z
    .object({ action: z.enum(['report', 'ignore']).default('report') })
    .strict()
    .prefault({}),
  kinds: ['stageless'],
  exemptible: true,
  count: { metric: 'StagelessKeys', total: 'stageless', label: 'open no API' },
  account: (inventory) => {
    const stageless = new Set(inventory.plans.filter((p) => p.apiStages.length === 0).map((p) => p.id));
    return inventory.keys
      .filter((k) => k.enabled && k.planIds.length > 0 && k.planIds.every((id) => stageless.has(id)))
      .map((k) => ({
        kind: 'stageless' as const,
        keyId: k.id,
        action: 'report' as const,
        message: `key ${k.id} (${k.name}) is only in usage plans without an API stage (${k.planIds.join(', ')}): API Gateway refuses its requests (403)`,
      }));
  },
});
