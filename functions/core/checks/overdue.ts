import * as z from 'zod';
import { day } from '../time.js';
import { defineCheck } from './check.js';

/** A credential whose current key outlived its policy's period plus grace: rotation is not keeping up. */
export const overdue = defineCheck({
  name: 'overdue',
  settings: z
    .object({ action: z.enum(['report', 'ignore']).default('report') })
    .strict()
    .prefault({}),
  kinds: ['overdue'],
  exemptible: true,
  currentKey: (key, _settings, _ctx, overdueSince) =>
    overdueSince === undefined
      ? undefined
      : {
          finding: {
            kind: 'overdue',
            credential: key.credential,
            keyId: key.key.id,
            action: 'report',
            message: `credential ${key.credential}: current key ${key.key.id} active since ${day(overdueSince)}, past its policy's period plus grace`,
          },
        },
});
