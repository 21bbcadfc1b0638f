import * as z from 'zod';
import { defineCheck } from './check.js';

/**
 * The account's API key quota (10,000 per account and region in AWS, not raisable). Rotation holds two
 * keys of a credential for a while, so the plan refuses rotations past the headroom (plan.ts); this
 * check reports the account nearing it.
 */
export const quota = defineCheck({
  name: 'quota',
  settings: z
    .object({
      /** API keys per account and region; 10,000 in AWS, not raisable. */
      limit: z.number().int().min(1).default(10_000),
      /** Rotation refuses to create a key when fewer than this many would be left. */
      headroom: z.number().int().min(0).default(100),
    })
    .strict()
    .prefault({}),
  kinds: ['quota'],
  exemptible: false,
  account: (inventory, { limit, headroom }) =>
    inventory.keys.length < limit - headroom
      ? []
      : [
          {
            kind: 'quota',
            action: 'report',
            message: `${inventory.keys.length} of ${limit} API keys in use: less than the ${headroom}-key headroom left; delete unused keys or lower the headroom`,
          },
        ],
});
