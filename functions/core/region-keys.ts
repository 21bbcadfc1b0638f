import type { Config } from './config.js';
import { managedKeyElsewhere, secretCredential, type ManagedKey } from './credentials.js';
import { homeRegionElsewhere } from './home-region.js';
import { TAG, formatInstant, tagName } from './tags.js';
import type { Action, Inventory, ObservedKey, ObservedSecret, RegionKeys } from './types.js';

/** A key of a multi-region credential owned here, in another region of it. */
export interface KeyElsewhere {
  region: string;
  managed: ManagedKey;
  secret: ObservedSecret;
}

/**
 * The keys of the credentials owned here (their secret's primary is here) in the stack's other
 * regions, as `withOtherRegions` read them: what the report shows beside the home keys, each with its
 * region. Keys of credentials owned elsewhere, and unmanaged keys, are that region's stack's to report.
 * Pure.
 */
export function keysElsewhere(home: Inventory, config: Config): KeyElsewhere[] {
  const owned = new Map<string, ObservedSecret>();
  for (const secret of home.secrets) {
    const credential = secretCredential(secret, config);
    if (credential === undefined || secret.deletedDate !== undefined) continue;
    if (homeRegionElsewhere(secret) === undefined) owned.set(credential, secret);
  }
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const versionTag = tagName(config.tagPrefix, TAG.version);
  const parse = (key: ObservedKey) => {
    const credential = key.tags[credentialTag];
    const secret = credential === undefined ? undefined : owned.get(credential);
    if (credential === undefined || secret === undefined) return undefined;
    const managed = managedKeyElsewhere(key, credential, secret, config.tagPrefix);
    return managed === undefined ? undefined : { managed, secret };
  };
  // A version became current (or was restored) at the same instant in every region: the home twin's
  // tags say when, where the region's key has no record of its own.
  const twins = new Map<string, ManagedKey>();
  for (const key of home.keys) {
    const twin = parse(key)?.managed;
    if (twin !== undefined) twins.set(`${twin.credential} ${key.tags[versionTag]}`, twin);
  }
  return (home.otherRegions ?? []).flatMap(({ region, keys }) =>
    keys.flatMap((key) => {
      const parsed = parse(key);
      if (parsed === undefined) return [];
      const { managed, secret } = parsed;
      const twin = twins.get(`${managed.credential} ${managed.version}`);
      managed.activatedAt ??= twin?.activatedAt;
      managed.restoredAt ??= twin?.restoredAt;
      return [{ region, managed, secret }];
    }),
  );
}

/**
 * The other regions as a run left them, from what it read and did there (no read after the run): a key
 * it disabled is disabled since the run (revoked with it), one it deleted is gone. Pure.
 */
export function otherRegionsAfterRun(
  regions: readonly RegionKeys[],
  done: readonly Action[],
  tagPrefix: string,
  now: Date,
): RegionKeys[] {
  const acted = new Map<string, Action['kind']>();
  const revoked = new Set<string>();
  for (const a of done) {
    if ((a.kind !== 'disable-key' && a.kind !== 'delete-key') || a.region === undefined) continue;
    acted.set(`${a.region} ${a.keyId}`, a.kind);
    if (a.kind === 'disable-key' && a.revoke === true) revoked.add(`${a.region} ${a.keyId}`);
  }
  const at = formatInstant(now);
  return regions.map((r) => ({
    ...r,
    keys: r.keys.flatMap((key) => {
      const id = `${r.region} ${key.id}`;
      const kind = acted.get(id);
      if (kind === 'delete-key') return [];
      if (kind !== 'disable-key') return [key];
      const tags = {
        ...key.tags,
        [tagName(tagPrefix, TAG.disabledAt)]: at,
        ...(revoked.has(id) && { [tagName(tagPrefix, TAG.revokedAt)]: at }),
      };
      return [{ ...key, enabled: false, tags }];
    }),
  }));
}
