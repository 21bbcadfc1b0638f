/**
 * Adopting keys that already share a value across regions (docs/multi-region.md): imported with the same
 * value into each regional endpoint, they are one consumer's credential. Every region's stack runs
 * `unmanaged.action: adopt` and applies this same rule, so exactly one of them, the home, adopts all
 * the copies as one multi-region credential; the others defer to it. Pure.
 */

/**
 * An unmanaged key as the value read saw it. Its digest (sha256 of the value) only lives in that read:
 * what leaves it, and enters the inventory, is which keys match, never a value or a digest.
 */
export interface DigestedKey {
  id: string;
  name: string;
  digest: string;
}

/** An unmanaged key of another region that shares its value, or only its name, with a key here. */
export interface RegionCopy {
  region: string;
  keyId: string;
  name: string;
}

/** What the stack's other regions hold of one unmanaged key here. */
export interface KeyCopies {
  keyId: string;
  /** Unmanaged keys there with the same value: the same credential. */
  copies: RegionCopy[];
  /** Unmanaged keys there with the same name and another value: a different credential. */
  namesakes: RegionCopy[];
}

/** The other regions' unmanaged keys beside this region's, as reconcile/region-values.ts read them. */
export interface SharedValues {
  /** The stack's own region. */
  region: string;
  /** Every region in the order all stacks agree on (adoptionOrder). */
  order: string[];
  /** Regions whose keys could not be read: a copy there is unknown, so no adoption is decided. */
  unread: string[];
  keys: KeyCopies[];
}

/**
 * The regions in the order every stack agrees on: `replicaRegions` as configured (one configuration for
 * every region of a StackSet). The stack's own region counts first when the configuration leaves it out.
 */
export function adoptionOrder(own: string, configured: readonly string[]): string[] {
  return configured.includes(own) ? [...configured] : [own, ...configured];
}

/** Which keys of the other regions share a value (or only a name) with each key here, by digest. */
export function matchCopies(
  here: readonly DigestedKey[],
  elsewhere: readonly { region: string; keys: readonly DigestedKey[] }[],
): KeyCopies[] {
  return here.flatMap((key) => {
    const copies: RegionCopy[] = [];
    const namesakes: RegionCopy[] = [];
    for (const { region, keys } of elsewhere) {
      for (const other of keys) {
        const copy = { region, keyId: other.id, name: other.name };
        if (other.digest === key.digest) copies.push(copy);
        else if (other.name === key.name) namesakes.push(copy);
      }
    }
    return copies.length === 0 && namesakes.length === 0 ? [] : [{ keyId: key.id, copies, namesakes }];
  });
}

/** What this stack does with an unmanaged key it would adopt. */
export type RegionDecision =
  /** Adopt it here, with its copies (none: a single-region credential, as before). */
  | { kind: 'adopt'; copies: RegionCopy[]; namesakes: RegionCopy[] }
  /** A region earlier in the order holds its value: that region's stack adopts every copy. */
  | { kind: 'defer'; to: RegionCopy; from: string }
  /** A region could not be read: adopting now might split one credential in two. */
  | { kind: 'wait'; unread: string[] };

/**
 * The rule for one key here: of the regions holding its value, the first in the agreed order is the
 * home, and only its stack adopts, every copy at once. Keys with only a name in common are not copies.
 */
export function regionDecision(shared: SharedValues | undefined, keyId: string): RegionDecision {
  const none: RegionDecision = { kind: 'adopt', copies: [], namesakes: [] };
  if (shared === undefined) return none;
  if (shared.unread.length > 0) return { kind: 'wait', unread: shared.unread };
  const found = shared.keys.find((k) => k.keyId === keyId);
  if (found === undefined) return none;
  const rank = (region: string) => {
    const at = shared.order.indexOf(region);
    return at === -1 ? shared.order.length : at;
  };
  const first = [...found.copies].sort((a, b) => rank(a.region) - rank(b.region))[0];
  if (first !== undefined && rank(first.region) < rank(shared.region))
    return { kind: 'defer', to: first, from: shared.region };
  return { kind: 'adopt', copies: found.copies, namesakes: found.namesakes };
}
