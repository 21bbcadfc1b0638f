import * as z from 'zod';
import { ACTION, defineCheck, disableOrReport, reportCurrent } from './check.js';

/** A key in no usage plan: it opens nothing, so it is debris or a key someone forgot to attach. */
export const orphaned = defineCheck({
  name: 'orphaned',
  settings: z
    .object({ action: z.enum(ACTION).default('report') })
    .strict()
    .prefault({}),
  kinds: ['orphaned'],
  exemptible: true,
  count: { metric: 'OrphanedKeys', total: 'orphaned', label: 'orphaned' },
  unmanagedKey: (key, settings, ctx) =>
    !key.enabled || key.planIds.length > 0
      ? undefined
      : disableOrReport(
          'orphaned',
          key,
          settings.action,
          ctx,
          `orphaned: key ${key.id} (${key.name}) is in no usage plan`,
        ),
  currentKey: (key) =>
    key.key.planIds.length > 0 ? undefined : reportCurrent('orphaned', key, 'is in no usage plan'),
});
