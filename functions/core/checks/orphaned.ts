import { z } from 'zod';
import { ACTION, defineCheck } from './check.js';

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
  unmanagedKey: (key, settings, ctx) => {
    if (!key.enabled || key.planIds.length > 0) return undefined;
    const message = `orphaned: key ${key.id} (${key.name}) is in no usage plan`;
    const disables = settings.action === 'disable' && !ctx.disabled;
    return {
      finding: { kind: 'orphaned', keyId: key.id, action: disables ? 'disable' : 'report', message },
      action: disables
        ? { kind: 'disable-key', credential: undefined, keyId: key.id, reason: message }
        : undefined,
    };
  },
  currentKey: (key) =>
    key.key.planIds.length > 0
      ? undefined
      : {
          finding: {
            kind: 'orphaned',
            credential: key.credential,
            keyId: key.key.id,
            action: 'report',
            message: `credential ${key.credential}: current key ${key.key.id} is in no usage plan; a managed credential is retired by deleting its secret, never by a hygiene action`,
          },
        },
});
