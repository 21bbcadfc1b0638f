import { z } from 'zod';
import { ACTION, defineCheck, isUnused } from './check.js';

/** A key in a usage plan that had no request over the window (GetUsage): nobody would miss it. */
export const unused = defineCheck({
  name: 'unused',
  settings: z
    .object({ action: z.enum(ACTION).default('report'), days: z.number().int().min(1).max(365).default(90) })
    .strict()
    .prefault({}),
  kinds: ['unused'],
  exemptible: true,
  count: { metric: 'UnusedKeys', total: 'unused', label: 'unused' },
  unmanagedKey: (key, settings, ctx) => {
    if (!key.enabled || key.planIds.length === 0 || !isUnused(key, ctx, settings.days)) return undefined;
    const message = `unused: key ${key.id} (${key.name}) had no request from ${ctx.usage?.from} to ${ctx.usage?.to}`;
    const disables = settings.action === 'disable' && !ctx.disabled;
    return {
      finding: { kind: 'unused', keyId: key.id, action: disables ? 'disable' : 'report', message },
      action: disables
        ? { kind: 'disable-key', credential: undefined, keyId: key.id, reason: message }
        : undefined,
    };
  },
  currentKey: (key, settings, ctx) =>
    key.key.planIds.length === 0 || !isUnused(key.key, ctx, settings.days, key.createdAt)
      ? undefined
      : {
          finding: {
            kind: 'unused',
            credential: key.credential,
            keyId: key.key.id,
            action: 'report',
            message: `credential ${key.credential}: current key ${key.key.id} had no request from ${ctx.usage?.from} to ${ctx.usage?.to}; a managed credential is retired by deleting its secret, never by a hygiene action`,
          },
        },
});
