import * as z from 'zod';
import { addDays, day } from '../time.js';
import { ACTION, defineCheck } from './check.js';

/**
 * An unmanaged key disabled (not by keyrot) for longer than the disable window: nobody is coming back
 * for it. `disable` lets it finish retirement, by deletion.
 */
export const lingering = defineCheck({
  name: 'lingering',
  settings: z
    .object({ action: z.enum(ACTION).default('report') })
    .strict()
    .prefault({}),
  kinds: ['lingering'],
  exemptible: true,
  count: { metric: 'LingeringKeys' },
  unmanagedKey: (key, settings, ctx) => {
    // API Gateway's last change of a disabled key is an upper bound of when it was disabled.
    const since = key.lastUpdatedDate ?? key.createdDate;
    if (key.enabled || since === undefined) return undefined;
    if (ctx.now.getTime() < addDays(since, ctx.windowDays).getTime()) return undefined;
    const deletes = settings.action === 'disable';
    return {
      finding: {
        kind: 'lingering',
        keyId: key.id,
        action: deletes ? 'delete' : 'report',
        message: `unmanaged key ${key.id} (${key.name}) disabled since at least ${day(since)}, longer than the ${ctx.windowDays}-day window`,
      },
      action: deletes
        ? {
            kind: 'delete-key',
            credential: undefined,
            keyId: key.id,
            reason: `lingering: disabled since at least ${day(since)}, longer than the ${ctx.windowDays}-day disable window`,
          }
        : undefined,
    };
  },
});
