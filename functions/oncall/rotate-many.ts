import pLimit from 'p-limit';
import { readInventory } from '../aws/inventory.js';
import { tagSecret } from '../aws/rotation-record.js';
import { recordDisabled } from '../aws/key-state.js';
import { TAG, formatInstant, tagName } from '../core/tags.js';
import { publishEvents } from '../aws/events-publisher.js';
import { requestTag } from '../core/emergency.js';
import { DETAIL_TYPE } from '../core/events.js';
import {
  estimateWave,
  selectCredentials,
  type Selected,
  type Selector,
  type WaveEstimate,
} from '../core/mass-rotation.js';
import { ROTATION_KINDS, type Action, type Inventory } from '../core/types.js';
import { keyrotPacer, SHARED_BUCKET, type Pacer } from '../commons/pacing.js';
import { reconcile, type RunResult } from '../reconcile/run.js';
import { findCredential } from './find-credential.js';
import type { OnCallDeps } from './on-call-deps.js';

export interface RotateManyInput {
  selector: Selector;
  /** The old keys' grace: 0 disables each as soon as its rotation is done; default: their policy's. */
  graceMs?: number | undefined;
  dryRun?: boolean;
  /** Runs this call makes at most before leaving the rest to the scheduled runs (default 5). */
  maxRuns?: number;
  onProgress?: (done: number, total: number, action: Action) => void;
  /** Each reconciler run's result, as it ends (the CLI writes its report with --report-dir). */
  onRun?: (run: RunResult) => Promise<void>;
}

export interface RotateManyResult {
  requestedAt: string;
  dryRun: boolean;
  selected: number;
  skipped: { credential: string; why: string }[];
  estimate: WaveEstimate;
  rotated: number;
  failed: { credential: string; error: string }[];
  /** Requested and not rotated yet: the next run (this command again, or the schedule) carries on. */
  remaining: string[];
  runs: number;
  durationMs: number;
  /** Each rotation done: the version now current and the key it replaced (null: a resumed rotation). */
  rotations: { credential: string; version: string; previousKeyId: string | null }[];
}

/** The inventory with the tags this call just wrote (requests, disable records): what the first run plans from. */
function withRequests(
  inventory: Inventory,
  tags: Map<string, Record<string, string>>,
  keyTags: Map<string, Record<string, string>>,
): Inventory {
  return {
    ...inventory,
    keys: inventory.keys.map((k) => {
      const added = keyTags.get(k.id);
      return added === undefined ? k : { ...k, tags: { ...k.tags, ...added } };
    }),
    secrets: inventory.secrets.map((s) => {
      const added = tags.get(s.arn);
      return added === undefined ? s : { ...s, tags: { ...s.tags, ...added } };
    }),
  };
}

/**
 * Mass emergency rotation: records the request on every selected credential's secret, then runs the
 * reconciler until they are rotated (or `maxRuns` runs made no progress left to make). Each run rotates
 * as fast as the quotas and the share allow; whatever is left when this returns, or if it is
 * interrupted, the scheduled runs carry on, since the request is on the secrets. The first run plans
 * from the inventory the selection read (no second read of every plan's keys).
 */
export async function rotateMany(
  deps: OnCallDeps & { pacer?: Pacer; clock?: () => number; holder?: string },
  input: RotateManyInput,
): Promise<RotateManyResult> {
  const { clients, config, now } = deps;
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const inventory = await readInventory(clients, config, now, { hygiene: false });
  // Named credentials: one that can't be rotated is an error that says why, before any write.
  for (const name of input.selector.names ?? []) findCredential(inventory, config, name);
  const { selected, skipped } = selectCredentials(inventory, config, input.selector);
  const pacing = deps.pacer ?? keyrotPacer(config.pacing);
  const estimate = estimateWave(inventory, selected, config, {
    revoke: input.graceMs === 0,
    readsUsage: false,
    requestTags: true,
    rates: {
      shared: pacing.rate(SHARED_BUCKET),
      createApiKey: pacing.rate('apigateway:CreateApiKey'),
      secretWrites: pacing.rate('secretsmanager:write'),
    },
  });
  const result: RotateManyResult = {
    requestedAt: now.toISOString(),
    dryRun: input.dryRun === true,
    selected: selected.length,
    skipped,
    estimate,
    rotated: 0,
    failed: [],
    remaining: selected.map((s) => s.credential),
    runs: 0,
    durationMs: 0,
    rotations: [],
  };
  if (input.dryRun === true || selected.length === 0) return { ...result, durationMs: clock() - started };

  const tags = new Map<string, Record<string, string>>();
  const keyTags = new Map<string, Record<string, string>>();
  const limit = pLimit(8);
  await Promise.all(
    selected.map((s: Selected) =>
      limit(async () => {
        if (s.unrecordedDisabledKeyId !== undefined) {
          await recordDisabled(clients.apigw, s.unrecordedDisabledKeyId, config.tagPrefix, now);
          keyTags.set(s.unrecordedDisabledKeyId, {
            [tagName(config.tagPrefix, TAG.disabledAt)]: formatInstant(now),
          });
        }
        const tag = requestTag(config.tagPrefix, {
          requestedAt: now,
          graceMs: input.graceMs,
          fromVersion: s.currentVersion,
        });
        await tagSecret(clients.secrets, s.secretArn, tag);
        tags.set(s.secretArn, tag);
      }),
    ),
  );
  deps.log.info('emergency rotation requested', { credentials: selected.length, graceMs: input.graceMs });

  const outstanding = new Set(result.remaining);
  // Only the selected credentials' actions: an emergency does the emergency, the schedule the rest.
  const chosen = new Set(result.remaining);
  const failures = new Map<string, string>();
  const maxRuns = input.maxRuns ?? 5;
  let planned: Inventory | undefined = withRequests(inventory, tags, keyTags);
  while (outstanding.size > 0 && result.runs < maxRuns) {
    const run = await reconcile({
      clients,
      config,
      now,
      log: deps.log,
      rotation: deps.rotation,
      trigger: 'emergency',
      pacer: deps.pacer,
      holder: deps.holder,
      clock,
      inventory: planned,
      onProgress: input.onProgress,
      actions: (plan) => plan.actions.filter((a) => a.credential !== undefined && chosen.has(a.credential)),
    });
    planned = undefined;
    result.runs++;
    await input.onRun?.(run);
    let progress = false;
    for (const o of run.outcomes) {
      const credential = o.action.credential;
      if (credential === undefined || !outstanding.has(credential)) continue;
      if (!ROTATION_KINDS.includes(o.action.kind)) continue;
      if (o.status === 'done') {
        result.rotations.push({
          credential,
          version: o.detail ?? ('token' in o.action ? o.action.token : ''),
          previousKeyId: o.action.kind === 'rotate' ? o.action.currentKeyId : null,
        });
        outstanding.delete(credential);
        failures.delete(credential);
        result.rotated++;
        progress = true;
      } else if (o.status === 'failed') {
        failures.set(credential, `${o.error?.name ?? 'Error'}: ${o.error?.message ?? ''}`);
      } else if (o.status === 'started') progress = true;
    }
    if (!progress) break;
  }
  result.remaining = [...outstanding].sort();
  result.failed = [...failures].map(([credential, error]) => ({ credential, error }));
  result.durationMs = clock() - started;
  if (config.eventBusName !== null) {
    await publishEvents(
      clients.eventbridge,
      config.eventBusName,
      [
        {
          detailType: DETAIL_TYPE.emergencySummary,
          detail: {
            requestedAt: result.requestedAt,
            selector: input.selector,
            graceSeconds: input.graceMs === undefined ? null : Math.round(input.graceMs / 1000),
            selected: result.selected,
            rotated: result.rotated,
            failed: result.failed.length,
            remaining: result.remaining.length,
            runs: result.runs,
            durationSeconds: Math.round(result.durationMs / 1000),
            estimatedSeconds: Math.round(estimate.seconds),
          },
        },
      ],
      now,
      deps.log,
    );
  }
  return result;
}
