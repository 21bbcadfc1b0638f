import * as z from 'zod';
import { CREDENTIAL_PATTERN, TAG, tagName } from '../tags.js';
import type { ObservedKey } from '../types.js';
import { defineCheck } from './check.js';

/** A credential name for an adopted key: its name made safe, or its id. */
export function adoptedCredentialName(key: ObservedKey, taken: Set<string>): string {
  const fromName = key.name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  const base = CREDENTIAL_PATTERN.test(fromName) ? fromName : key.id;
  return taken.has(base) ? `${base.slice(0, 63 - key.id.length)}-${key.id}` : base;
}

/** An enabled key without a credential tag: nobody rotates it. `adopt` brings it under rotation. */
export const unmanaged = defineCheck({
  name: 'unmanaged',
  settings: z
    .object({ action: z.enum(['report', 'adopt', 'ignore']).default('report') })
    .strict()
    .prefault({}),
  kinds: ['unmanaged'],
  exemptible: true,
  unmanagedKey: (key, settings, ctx) => {
    // A key another check disables this run is on its way out: no point adopting it.
    if (!key.enabled || ctx.disabled) return undefined;
    const adopt = settings.action === 'adopt';
    const credential = adoptedCredentialName(key, ctx.taken);
    if (adopt) ctx.taken.add(credential);
    return {
      finding: {
        kind: 'unmanaged',
        keyId: key.id,
        action: adopt ? 'adopt' : 'report',
        message: `key ${key.id} (${key.name}) has no ${tagName(ctx.tagPrefix, TAG.credential)} tag: nobody rotates it${adopt ? `; adopted as credential ${credential}` : ''}`,
      },
      action: adopt
        ? {
            kind: 'adopt-key',
            credential,
            keyId: key.id,
            policy: ctx.defaultPolicy,
            reason: `unmanaged key ${key.id} (${key.name}) adopted: tagged, its value stored in ${ctx.secretPrefix}${credential}, rotated from now on`,
          }
        : undefined,
    };
  },
});
