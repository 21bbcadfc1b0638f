/**
 * Mass emergency rotation, the pure part: which credentials a selector names, and how long rotating
 * them takes at the quotas (the dry run's estimate). Selectors combine: every one given must match.
 */
import type { Config } from './config.js';
import { indexCredentials, resolvePolicy, versionWithStage } from './credentials.js';
import { STAGE } from './stages.js';
import { standingSuspension } from './suspension.js';
import type { Inventory } from './types.js';

export interface Selector {
  /** These credentials, by name (keyrot rotate <credential>). */
  names?: string[] | undefined;
  /** Credentials whose current key is in any of these usage plans. */
  plans?: string[] | undefined;
  /** Credentials under any of these policies. */
  policies?: string[] | undefined;
  /** Credentials whose name starts with this. */
  prefix?: string | undefined;
}

export interface Selected {
  credential: string;
  secretArn: string;
  secretName: string;
  /** The usage plans of its current key: what its rotation attaches the new key to. */
  planIds: string[];
  /** Its AWSCURRENT version: the request rotates away from it. */
  currentVersion: string;
  /**
   * Its current key, disabled outside keyrot with no record of when (a leaked key switched off in the
   * console): recorded before the request, so the request counts as made after the cut-off.
   */
  unrecordedDisabledKeyId?: string;
}

export interface Selection {
  selected: Selected[];
  /** Matched but can't be rotated now, and why (the planner's findings say more). */
  skipped: { credential: string; why: string }[];
}

/** The managed credentials the selector names, in name order. */
export function selectCredentials(inventory: Inventory, config: Config, selector: Selector): Selection {
  const selection: Selection = { selected: [], skipped: [] };
  const plans = selector.plans === undefined ? undefined : new Set(selector.plans);
  for (const c of indexCredentials(inventory, config).credentials) {
    if (selector.names !== undefined && !selector.names.includes(c.name)) continue;
    if (selector.prefix !== undefined && !c.name.startsWith(selector.prefix)) continue;
    const secret = c.secret;
    const version = secret === undefined ? undefined : versionWithStage(secret, STAGE.current);
    const current = c.keys.find((k) => k.version !== undefined && k.version === version);
    const planIds = current?.key.planIds ?? [...new Set(c.keys.flatMap((k) => k.key.planIds))];
    if (plans !== undefined && !planIds.some((p) => plans.has(p))) continue;
    if (selector.policies !== undefined) {
      const policy = current === undefined ? undefined : resolvePolicy(current, config);
      if (policy === undefined || !policy.ok || !selector.policies.includes(policy.name)) continue;
    }
    if (c.homeRegion !== undefined) {
      selection.skipped.push({
        credential: c.name,
        why: `owned in ${c.homeRegion}, its home region (its secret here is a replica): rotate it there`,
      });
      continue;
    }
    if (secret === undefined || secret.deletedDate !== undefined) {
      selection.skipped.push({ credential: c.name, why: 'its secret is missing or scheduled for deletion' });
      continue;
    }
    if (current === undefined) {
      selection.skipped.push({ credential: c.name, why: 'no readable key carries its AWSCURRENT version' });
      continue;
    }
    // A consumer cut off on purpose stays cut off: only naming it (keyrot rotate <credential>) rotates it.
    const suspended = standingSuspension(config.tagPrefix, secret, c.name, version);
    if (selector.names === undefined && (suspended !== undefined || !current.key.enabled)) {
      selection.skipped.push({
        credential: c.name,
        why: suspended
          ? `suspended since ${suspended.since.toISOString().slice(0, 10)} (${suspended.reason}); name it to rotate it (keyrot rotate ${c.name}), or keyrot resume ${c.name}`
          : `its current key ${current.key.id} is disabled (cut off outside keyrot); name it to rotate it (keyrot rotate ${c.name}), or keyrot resume ${c.name}`,
      });
      continue;
    }
    selection.selected.push({
      credential: c.name,
      secretArn: secret.arn,
      secretName: secret.name,
      planIds: [...current.key.planIds].sort(),
      currentVersion: version!,
      ...(!current.key.enabled &&
        current.disabledAt === undefined && { unrecordedDisabledKeyId: current.key.id }),
    });
  }
  return selection;
}

export interface WaveEstimate {
  rotations: number;
  /** CreateUsagePlanKey calls: one per plan of each rotated key. */
  attachments: number;
  /** Every call on API Gateway's shared bucket: the attachments, reading the account before and after, revocations. */
  sharedCalls: number;
  /** Secrets Manager writes (PutSecretValue, UpdateSecretVersionStage): three per rotation. */
  secretWrites: number;
  seconds: number;
  /** The quota that sets the pace. */
  boundBy: 'API Gateway shared budget' | 'CreateApiKey' | 'Secrets Manager writes';
}

const PAGE = 500;
const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));

/**
 * How long rotating `selected` takes at the configured quotas and share: the busiest quota's calls
 * over its rate. The shared budget counts the run's reads (keys by pages of 500, the plans, each
 * plan's keys and, when the run reads it for the unused check, its usage), the attachments, the keys read again after
 * the run, and, for a zero grace, disabling and tagging each old key.
 */
export function estimateWave(
  inventory: Inventory,
  selected: Selected[],
  config: Config,
  options: {
    revoke: boolean;
    readsUsage: boolean;
    /** The request is tagged on each selected secret before the run (keyrot rotate --all). */
    requestTags?: boolean;
    /** Requests per second keyrot paces to: the shared bucket (its share), CreateApiKey, Secrets Manager writes. */
    rates: { shared: number; createApiKey: number; secretWrites: number };
  },
): WaveEstimate {
  const planKeys = new Map<string, number>();
  for (const key of inventory.keys)
    for (const plan of key.planIds) planKeys.set(plan, (planKeys.get(plan) ?? 0) + 1);
  const planCount = inventory.plans.length;
  const reads =
    pages(inventory.keys.length) +
    pages(planCount) +
    inventory.plans.reduce((sum, p) => sum + pages(planKeys.get(p.id) ?? 0), 0) +
    (options.readsUsage && config.hygiene.unused.action !== 'ignore' ? planCount : 0);
  const after = pages(inventory.keys.length + selected.length) + pages(planCount);
  const rotations = selected.length;
  const attachments = selected.reduce((sum, s) => sum + s.planIds.length, 0);
  const sharedCalls = reads + attachments + after + (options.revoke ? 2 * rotations : 0);
  const secretWrites = 3 * rotations;
  const { rates } = options;
  const bounds: [WaveEstimate['boundBy'], number][] = [
    ['API Gateway shared budget', sharedCalls / rates.shared],
    ['CreateApiKey', rotations / rates.createApiKey],
    ['Secrets Manager writes', secretWrites / rates.secretWrites],
  ];
  const [boundBy, busiest] = bounds.reduce((a, b) => (b[1] > a[1] ? b : a));
  // Recording the request on each secret comes first, a Secrets Manager write each.
  const seconds = busiest + (options.requestTags === true ? rotations / rates.secretWrites : 0);
  return { rotations, attachments, sharedCalls, secretWrites, seconds, boundBy };
}
