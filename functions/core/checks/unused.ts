import * as z from 'zod';
import { ACTION, defineCheck, disableOrReport, isUnused, reportCurrent } from './check.js';

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
  unmanagedKey: (key, settings, ctx) =>
    !key.enabled || key.planIds.length === 0 || !isUnused(key, ctx, settings.days)
      ? undefined
      : disableOrReport(
          'unused',
          key,
          settings.action,
          ctx,
          `unused: key ${key.id} (${key.name}) had no request from ${ctx.usage?.from} to ${ctx.usage?.to}`,
        ),
  currentKey: (key, settings, ctx) =>
    // A multi-region credential's consumer may call another region only: its requests there count.
    key.key.planIds.length === 0 ||
    !isUnused(key.key, ctx, settings.days, key.createdAt) ||
    (ctx.requestsElsewhere.get(key.key.id) ?? 0) > 0
      ? undefined
      : reportCurrent('unused', key, `had no request from ${ctx.usage?.from} to ${ctx.usage?.to}`),
});
