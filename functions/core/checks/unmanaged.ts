import * as z from 'zod';
import { regionDecision, type RegionCopy } from '../region-adoption.js';
import { CREDENTIAL_PATTERN, TAG, tagName } from '../tags.js';
import { homeRegionElsewhere } from '../home-region.js';
import type { ObservedKey, ObservedSecret } from '../types.js';
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

/**
 * Adoptions a crash left half done: a secret of this region made for an adopted key (its adopted-key
 * tag), the key not tagged yet. The next run adopts the key under that secret's credential, so the
 * adoption finishes on it (adoptKey) instead of making a second secret under a free name. Keyed by key id.
 */
export function unfinishedAdoptions(
  secrets: readonly ObservedSecret[],
  prefixes: { tagPrefix: string; secretPrefix: string },
): Map<string, string> {
  const out = new Map<string, string>();
  for (const secret of secrets) {
    const keyId = secret.tags[tagName(prefixes.tagPrefix, TAG.adoptedKey)];
    if (keyId === undefined || secret.deletedDate !== undefined || homeRegionElsewhere(secret) !== undefined)
      continue;
    if (secret.name.startsWith(prefixes.secretPrefix))
      out.set(keyId, secret.name.slice(prefixes.secretPrefix.length));
  }
  return out;
}

const listed = (copies: readonly RegionCopy[]) => copies.map((c) => `${c.keyId} in ${c.region}`).join(', ');

/**
 * An enabled key without a credential tag: nobody rotates it. `adopt` brings it under rotation; a key
 * whose value other regions hold too is adopted by one region's stack only, with every copy
 * (core/region-adoption.ts).
 */
export const unmanaged = defineCheck({
  name: 'unmanaged',
  settings: z
    .object({ action: z.enum(['report', 'adopt', 'ignore']).default('report') })
    .strict()
    .prefault({}),
  kinds: ['unmanaged', 'adoption-deferred', 'region-namesake'],
  exemptible: true,
  unmanagedKey: (key, settings, ctx) => {
    // A key another check disables this run is on its way out: no point adopting it.
    if (!key.enabled || ctx.disabled) return undefined;
    const untagged = `key ${key.id} (${key.name}) has no ${tagName(ctx.tagPrefix, TAG.credential)} tag: nobody rotates it`;
    if (settings.action !== 'adopt')
      return { finding: { kind: 'unmanaged', keyId: key.id, action: 'report', message: untagged } };
    const decision = regionDecision(ctx.sharedValues, key.id);
    if (decision.kind === 'defer') {
      const { region, keyId } = decision.to;
      return {
        finding: {
          kind: 'adoption-deferred',
          keyId: key.id,
          action: 'report',
          message: `key ${key.id} (${key.name}) has the value of key ${keyId} in ${region}, which comes before ${decision.from} in replicaRegions: the keyrot stack of ${region} adopts both as one credential, this region's stack does not`,
        },
      };
    }
    if (decision.kind === 'wait') {
      return {
        finding: {
          kind: 'unmanaged',
          keyId: key.id,
          action: 'wait',
          message: `${untagged}; not adopted this run: ${decision.unread.join(', ')} could not be read, and a key there may hold its value (adopted alone, the regions would diverge at the first rotation)`,
        },
      };
    }
    const credential = ctx.unfinished?.get(key.id) ?? adoptedCredentialName(key, ctx.taken);
    ctx.taken.add(credential);
    const { copies, namesakes } = decision;
    const withCopies = copies.length === 0 ? '' : ` with its value's key(s) ${listed(copies)}`;
    return {
      finding:
        namesakes.length === 0
          ? {
              kind: 'unmanaged',
              keyId: key.id,
              action: 'adopt',
              message: `${untagged}; adopted as credential ${credential}${withCopies}`,
            }
          : {
              kind: 'region-namesake',
              keyId: key.id,
              action: 'adopt',
              message: `key ${key.id} (${key.name}) has the name but not the value of key(s) ${listed(namesakes)}: not one credential, each region's stack adopts its own; adopted here as credential ${credential}${withCopies}`,
            },
      action: {
        kind: 'adopt-key',
        credential,
        keyId: key.id,
        policy: ctx.defaultPolicy,
        reason: `unmanaged key ${key.id} (${key.name}) adopted: tagged, its value stored in ${ctx.secretPrefix}${credential}, rotated from now on${copies.length === 0 ? '' : `, in ${copies.map((c) => c.region).join(', ')} too (key(s) ${listed(copies)}, one value)`}`,
        ...(copies.length > 0 && { regions: copies.map((c) => ({ region: c.region, keyId: c.keyId })) }),
      },
    };
  },
});
