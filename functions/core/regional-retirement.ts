import type { Config } from './config.js';
import { secretCredential, versionWithStage } from './credentials.js';
import { homeRegionElsewhere } from './home-region.js';
import { STAGE } from './stages.js';
import { TAG, tagName, type TagName } from './tags.js';
import type { Action, Inventory, ObservedKey, RegionKeys } from './types.js';

export type { RegionKeys };

type KeyAction = Extract<Action, { kind: 'disable-key' | 'delete-key' }>;

/** The versions a credential owned here never retires: AWSCURRENT's and AWSPENDING's. */
export interface HeldVersions {
  current: string | undefined;
  has(version: string): boolean;
}

/**
 * The credentials whose keys this region's stack retires in every region (their secrets' primary is
 * here), each with the versions it holds.
 */
export function retirableVersions(home: Inventory, config: Config): Map<string, HeldVersions> {
  const credentials = new Map<string, HeldVersions>();
  for (const secret of home.secrets) {
    const credential = secretCredential(secret, config);
    if (credential === undefined || secret.deletedDate !== undefined) continue;
    // A replica here: its home region's stack retires its keys everywhere, this region's stack none.
    if (homeRegionElsewhere(secret) !== undefined) continue;
    const current = versionWithStage(secret, STAGE.current);
    const pending = versionWithStage(secret, STAGE.pending);
    credentials.set(credential, { current, has: (v) => v === current || v === pending });
  }
  return credentials;
}

/**
 * A multi-region credential's keys in its other regions retire with their home twins (the key of the
 * same version in the home region, docs/multi-region.md): disabled when the home twin is disabled,
 * deleted once it is deleted. The home region decides when (grace, usage, emergencies), once; the
 * other regions follow in the same run. Keys of AWSCURRENT's and AWSPENDING's versions are never
 * touched, nor a key newer than the current generation whose twin is missing (a rotation that started
 * after the home region was read). Pure.
 */
export function planRegionalRetirement(
  home: Inventory,
  homeActions: readonly Action[],
  regions: readonly RegionKeys[],
  config: Config,
): KeyAction[] {
  const tag = (name: TagName) => tagName(config.tagPrefix, name);
  const disabledNow = new Map<string, KeyAction>();
  const deletedNow = new Set<string>();
  for (const a of homeActions) {
    if (a.kind === 'disable-key') disabledNow.set(a.keyId, a);
    if (a.kind === 'delete-key') deletedNow.add(a.keyId);
  }
  const credentials = retirableVersions(home, config);
  const twinOf = new Map<string, ObservedKey>();
  for (const key of home.keys) {
    const credential = key.tags[tag(TAG.credential)];
    const version = key.tags[tag(TAG.version)];
    if (credential !== undefined && version !== undefined) twinOf.set(`${credential} ${version}`, key);
  }
  const generation = (key: ObservedKey | undefined) => Number(key?.tags[tag(TAG.generation)] ?? NaN);

  const actions: KeyAction[] = [];
  for (const { region, keys } of regions) {
    for (const key of keys) {
      const credential = key.tags[tag(TAG.credential)];
      const version = key.tags[tag(TAG.version)];
      const record = credential === undefined ? undefined : credentials.get(credential);
      if (credential === undefined || version === undefined || record === undefined) continue;
      if (record.has(version)) continue;
      const twin = twinOf.get(`${credential} ${version}`);
      const base = { credential, keyId: key.id, region };
      if (twin !== undefined && !deletedNow.has(twin.id)) {
        const disabling = disabledNow.get(twin.id);
        if (!key.enabled || (twin.enabled && disabling === undefined)) continue;
        actions.push({
          ...base,
          kind: 'disable-key',
          ...(disabling?.kind === 'disable-key' && disabling.revoke === true && { revoke: true as const }),
          reason: `key ${key.id} in ${region} retires with its home twin ${twin.id} (version ${version}), ${disabling === undefined ? 'disabled' : 'disabled in this run'}`,
        });
        continue;
      }
      // The twin is gone (or goes now): this region's key goes too, unless a rotation newer than the
      // home region's read made it.
      const current = twinOf.get(`${credential} ${record.current ?? ''}`);
      if (twin === undefined && !(generation(key) < generation(current))) continue;
      actions.push({
        ...base,
        kind: 'delete-key',
        reason: `key ${key.id} in ${region} retires with its home twin${twin === undefined ? '' : ` ${twin.id}`} (version ${version}), deleted${twin === undefined ? '' : ' in this run'}`,
      });
    }
  }
  return actions;
}
