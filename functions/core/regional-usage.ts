import type { Config } from './config.js';
import { retirableVersions } from './regional-retirement.js';
import { TAG, tagName } from './tags.js';
import type { Inventory, ObservedKey, UsageWindow } from './types.js';

/** The last day a key (or its twin in another region) took requests, and where when not here. */
export interface LastUse {
  day: string;
  /** Another region's twin took them; absent: this region's key. */
  region?: string | undefined;
}

/**
 * Visits each key of the stack's other regions whose usage was read and whose home twin (same credential
 * and version tags) is here, with that twin's id. A region whose usage was not read is skipped.
 */
function forEachTwinElsewhere(
  home: Inventory,
  tagPrefix: string,
  visit: (homeId: string, key: ObservedKey, region: string, usage: UsageWindow) => void,
): void {
  if (!(home.otherRegions ?? []).some((r) => r.usage !== undefined)) return;
  const credentialTag = tagName(tagPrefix, TAG.credential);
  const versionTag = tagName(tagPrefix, TAG.version);
  const twinKey = (tags: Record<string, string>) => {
    const credential = tags[credentialTag];
    const version = tags[versionTag];
    return credential === undefined || version === undefined ? undefined : `${credential} ${version}`;
  };
  const homeKey = new Map<string, string>();
  for (const key of home.keys) {
    const twin = twinKey(key.tags);
    if (twin !== undefined) homeKey.set(twin, key.id);
  }
  for (const { region, keys, usage } of home.otherRegions ?? []) {
    if (usage === undefined) continue;
    for (const key of keys) {
      const twin = twinKey(key.tags);
      const id = twin === undefined ? undefined : homeKey.get(twin);
      if (id !== undefined) visit(id, key, region, usage);
    }
  }
}

/**
 * The last day each home key's version took requests in the stack's other regions: a consumer there
 * sends the same value to that region's key of the version (its twin: same credential and version
 * tags). A region whose usage was not read adds nothing: unknown, as this region's own unread usage is
 * (plan.ts), and never hides what the other regions read. Pure.
 */
export function usageElsewhere(home: Inventory, tagPrefix: string): Map<string, LastUse> {
  const used = new Map<string, LastUse>();
  forEachTwinElsewhere(home, tagPrefix, (id, key, region, usage) => {
    const day = usage.lastUsed[key.id];
    if (day === undefined) return;
    const before = used.get(id);
    if (before === undefined || day > before.day) used.set(id, { day, region });
  });
  return used;
}

/**
 * The requests each home key's version took in the stack's other regions over the hygiene window, for
 * the `unused` check of a current key: one used only in a replica region is in use. Pure.
 */
export function requestsElsewhere(home: Inventory, tagPrefix: string): Map<string, number> {
  const requests = new Map<string, number>();
  forEachTwinElsewhere(home, tagPrefix, (id, key, _region, usage) => {
    const n = usage.requests[key.id] ?? 0;
    if (n > 0) requests.set(id, (requests.get(id) ?? 0) + n);
  });
  return requests;
}

/** The later of a key's own last request and its twins' elsewhere (its own on the same day). */
export function lastUse(
  keyId: string,
  usage: UsageWindow | undefined,
  elsewhere: Map<string, LastUse>,
): LastUse | undefined {
  const own = usage?.lastUsed[keyId];
  const other = elsewhere.get(keyId);
  if (other === undefined || (own !== undefined && own >= other.day))
    return own === undefined ? undefined : { day: own };
  return other;
}

/** "2026-05-29", or "2026-05-29 in eu-west-1" for a twin's request. */
export function lastUseText(use: LastUse): string {
  return use.region === undefined ? use.day : `${use.day} in ${use.region}`;
}

/**
 * Whether a region's usage is worth its GetUsage calls: one of its keys could postpone a retirement
 * (`mayPostpone`), or is the twin of a current key that took no request here over the window (the
 * `unused` check counts its requests there). Pure.
 */
export function usageNeeded(home: Inventory, keys: readonly ObservedKey[], config: Config): boolean {
  return mayPostpone(home, keys, config) || twinsUnusedHere(home, keys, config);
}

/** A region's key of AWSCURRENT's version of a credential owned here, its home twin unused here. */
function twinsUnusedHere(home: Inventory, keys: readonly ObservedKey[], config: Config): boolean {
  const usage = home.usage;
  if (usage === undefined) return false;
  const retirable = retirableVersions(home, config);
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const versionTag = tagName(config.tagPrefix, TAG.version);
  const versionOf = (key: ObservedKey) => `${key.tags[credentialTag]} ${key.tags[versionTag]}`;
  const unusedHere = new Set(
    home.keys.filter((k) => (usage.requests[k.id] ?? 0) === 0).map((k) => versionOf(k)),
  );
  return keys.some((key) => {
    const current = retirable.get(key.tags[credentialTag] ?? '')?.current;
    return current !== undefined && key.tags[versionTag] === current && unusedHere.has(versionOf(key));
  });
}

/**
 * Whether a region's keys include one whose requests could postpone a retirement: an enabled key of a
 * credential owned here, of neither AWSCURRENT's nor AWSPENDING's version. Without one, that region's
 * usage is not read (its GetUsage calls spend the region's shared budget). Pure.
 */
export function mayPostpone(home: Inventory, keys: readonly ObservedKey[], config: Config): boolean {
  const retirable = retirableVersions(home, config);
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const versionTag = tagName(config.tagPrefix, TAG.version);
  return keys.some((key) => {
    const held = retirable.get(key.tags[credentialTag] ?? '');
    const version = key.tags[versionTag];
    return key.enabled && held !== undefined && version !== undefined && !held.has(version);
  });
}
