/**
 * What a rotation records on its secret, as Secrets Manager tags. Their budgets (TagResource 50/s,
 * DescribeSecret reads far higher) are separate from API Gateway's shared 10 requests/s, so the
 * rotation function reads the facts the reconciler already knows instead of looking them up there
 * (docs/aws-facts.md). Every record names the rotation's token: a record of another rotation is not
 * read, and a rotation nobody recorded (Secrets Manager's own schedule) looks the facts up instead.
 *
 * Tag values hold letters, digits, spaces and `+ - = . _ : / @` (Secrets Manager's tag alphabet),
 * at most 256 characters: ids, generations and epoch seconds separated by spaces.
 */

export const RECORD_TAG = {
  /** By the reconciler before RotateSecret: `<token> <generation> <current key id> [<policy>]`. */
  rotation: 'rotation',
  /** With it, in the same TagResource: `<token> <usage plan id> ...` (the current key's plans). */
  plans: 'rotation-plans',
  /** By setSecret once the new key is in every plan: `<token> <new key id> <its generation>`. */
  key: 'rotation-key',
  /** By finishSecret: `<generation>=<epoch seconds, rounded up> ...`, when each recent generation became current. */
  activations: 'activations',
  /**
   * With the facts, when the current key has them: `<token> [c=<customerId>] [d=<description>]`, each
   * base64url (any text fits the tag alphabet), or `<token> lookup` when they don't fit 256 characters.
   */
  identity: 'rotation-identity',
  /**
   * With the facts, for an emergency with zero grace: `<token>`. finishSecret disables (revokes) the
   * old key as soon as AWSCURRENT moves, whether or not the run that started it still watches.
   */
  revoke: 'rotation-revoke',
  /**
   * By setSecret with `key`, for a credential whose secret has replicas: `<token> <region>=<key id> ...`,
   * the new key of every other region (docs/multi-region.md). Absent: the credential has one region.
   */
  regionKeys: 'rotation-region-keys',
} as const;

/** Who a key was issued to, carried onto its successor (a portal's or Marketplace's customer). */
export interface KeyIdentity {
  customerId?: string | undefined;
  /** A description of the key's own (keyrot's generated ones are not carried: each generation has its own). */
  description?: string | undefined;
}

/** keyrot's own description of a key, written for each generation. */
export const KEYROT_DESCRIPTION = /^keyrot: credential /;

/** What of a key's identity its successor keeps; undefined when nothing. */
export function identityOf(key: {
  customerId?: string | undefined;
  description?: string | undefined;
}): KeyIdentity | undefined {
  const customerId = key.customerId === '' ? undefined : key.customerId;
  const description =
    key.description === undefined || key.description === '' || KEYROT_DESCRIPTION.test(key.description)
      ? undefined
      : key.description;
  return customerId === undefined && description === undefined ? undefined : { customerId, description };
}

/** What the reconciler knows of a rotation from the inventory it planned from. */
export interface RotationFacts {
  token: string;
  /** The new key's generation: one above the highest of the credential's keys. */
  generation: number;
  currentKeyId: string;
  /** The current key's policy tag, carried onto the new key (absent: the default policy). */
  policy?: string | undefined;
  /** The usage plans of the current key: the new key goes into each. */
  planIds: string[];
  /** The current key's customer and description, or 'lookup' (recorded too long: setSecret reads the key). */
  identity?: KeyIdentity | 'lookup' | undefined;
  /** An emergency with zero grace: the old key is revoked as soon as the new one is current. */
  revoke?: boolean | undefined;
}

const WORD = /^[A-Za-z0-9_.:/@+=-]+$/;
/** At most this many generations' activations are kept (older keys are long deleted by then). */
export const ACTIVATIONS_KEPT = 12;

const words = (value: string | undefined) => (value ?? '').split(' ').filter((w) => w !== '');

/** The tags the reconciler writes before starting the rotation; undefined when they don't fit a tag. */
export function factsTags(prefix: string, facts: RotationFacts): Record<string, string> | undefined {
  const head = [
    facts.token,
    String(facts.generation),
    facts.currentKeyId,
    ...(facts.policy ? [facts.policy] : []),
  ];
  const plans = [facts.token, ...facts.planIds];
  const rotation = head.join(' ');
  const planList = plans.join(' ');
  if (![...head, ...plans].every((w) => WORD.test(w))) return undefined;
  if (rotation.length > 256 || planList.length > 256) return undefined;
  const identity = identityTag(facts);
  return {
    [`${prefix}${RECORD_TAG.rotation}`]: rotation,
    [`${prefix}${RECORD_TAG.plans}`]: planList,
    ...(identity !== undefined && { [`${prefix}${RECORD_TAG.identity}`]: identity }),
    ...(facts.revoke === true && { [`${prefix}${RECORD_TAG.revoke}`]: facts.token }),
  };
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decode = (word: string) => Buffer.from(word, 'base64url').toString('utf8');

function identityTag(facts: RotationFacts): string | undefined {
  const identity = facts.identity;
  if (identity === undefined) return undefined;
  if (identity === 'lookup') return `${facts.token} lookup`;
  const parts = [
    facts.token,
    ...(identity.customerId !== undefined ? [`c=${encode(identity.customerId)}`] : []),
    ...(identity.description !== undefined ? [`d=${encode(identity.description)}`] : []),
  ];
  const text = parts.join(' ');
  return text.length <= 256 ? text : `${facts.token} lookup`;
}

function readIdentity(value: string | undefined, token: string): RotationFacts['identity'] {
  const [recorded, ...parts] = words(value);
  if (recorded !== token) return undefined;
  if (parts[0] === 'lookup') return 'lookup';
  const identity: KeyIdentity = {};
  for (const part of parts) {
    if (part.startsWith('c=')) identity.customerId = decode(part.slice(2));
    if (part.startsWith('d=')) identity.description = decode(part.slice(2));
  }
  return identity.customerId === undefined && identity.description === undefined ? undefined : identity;
}

/** The facts recorded for the rotation to `token`, or undefined (none, another rotation's, unreadable). */
export function readFacts(
  prefix: string,
  tags: Record<string, string>,
  token: string,
): RotationFacts | undefined {
  const [recorded, generation, currentKeyId, policy, ...rest] = words(
    tags[`${prefix}${RECORD_TAG.rotation}`],
  );
  const [plansToken, ...planIds] = words(tags[`${prefix}${RECORD_TAG.plans}`]);
  if (recorded !== token || plansToken !== token || rest.length > 0) return undefined;
  if (generation === undefined || !/^[1-9]\d{0,8}$/.test(generation) || currentKeyId === undefined)
    return undefined;
  const identity = readIdentity(tags[`${prefix}${RECORD_TAG.identity}`], token);
  return {
    token,
    generation: Number(generation),
    currentKeyId,
    policy,
    planIds,
    ...(identity !== undefined && { identity }),
    ...(tags[`${prefix}${RECORD_TAG.revoke}`] === token && { revoke: true }),
  };
}

/** The tag setSecret writes once the new key exists and is in every plan. */
export function newKeyTag(
  prefix: string,
  token: string,
  keyId: string,
  generation: number,
): Record<string, string> {
  return { [`${prefix}${RECORD_TAG.key}`]: `${token} ${keyId} ${generation}` };
}

/** The new key of the rotation to `token` when setSecret recorded it. */
export function readNewKey(
  prefix: string,
  tags: Record<string, string>,
  token: string,
): { id: string; generation: number } | undefined {
  const [recorded, id, generation, ...rest] = words(tags[`${prefix}${RECORD_TAG.key}`]);
  if (recorded !== token || id === undefined || rest.length > 0) return undefined;
  if (generation === undefined || !/^[1-9]\d{0,8}$/.test(generation)) return undefined;
  return { id, generation: Number(generation) };
}

/** The region record setSecret writes with newKeyTag; undefined when it does not fit one tag. */
export function regionKeysTag(
  prefix: string,
  token: string,
  keys: ReadonlyMap<string, string>,
): Record<string, string> | undefined {
  const value = [token, ...[...keys].map(([region, id]) => `${region}=${id}`)].join(' ');
  if (value.length > 256 || ![...keys.values()].every((id) => WORD.test(id))) return undefined;
  return { [`${prefix}${RECORD_TAG.regionKeys}`]: value };
}

/** Each other region's new key of the rotation to `token`, as setSecret recorded them (empty: none). */
export function readRegionKeys(
  prefix: string,
  tags: Record<string, string>,
  token: string,
): Map<string, string> {
  const [recorded, ...entries] = words(tags[`${prefix}${RECORD_TAG.regionKeys}`]);
  const out = new Map<string, string>();
  if (recorded !== token) return out;
  for (const entry of entries) {
    const match = /^([a-z]{2}(?:-[a-z]+)+-\d+)=(\S+)$/.exec(entry);
    if (match !== null) out.set(match[1]!, match[2]!);
  }
  return out;
}

/** When each generation became current, from the secret's activations tag (unreadable entries skipped). */
export function readActivations(prefix: string, tags: Record<string, string>): Map<number, Date> {
  const out = new Map<number, Date>();
  for (const entry of words(tags[`${prefix}${RECORD_TAG.activations}`])) {
    const match = /^([1-9]\d{0,8})=(\d{1,12})$/.exec(entry);
    if (match !== null) out.set(Number(match[1]), new Date(Number(match[2]) * 1000));
  }
  return out;
}

/** The activations tag with `generation` made current at `at`: the newest ACTIVATIONS_KEPT kept. */
export function activationsTag(
  prefix: string,
  tags: Record<string, string>,
  generation: number,
  at: Date,
): Record<string, string> {
  const all = readActivations(prefix, tags);
  all.set(generation, at);
  const kept = [...all.entries()].sort((a, b) => b[0] - a[0]).slice(0, ACTIVATIONS_KEPT);
  const value = kept
    .sort((a, b) => a[0] - b[0])
    // Rounded up: a key never counts as current before it was, so no grace ends early.
    .map(([g, d]) => `${g}=${Math.ceil(d.getTime() / 1000)}`)
    .join(' ');
  return { [`${prefix}${RECORD_TAG.activations}`]: value };
}
