import type { AnyCheck, CheckContext, CheckFinding, Verdict } from './checks/check.js';
import { CHECKS, EXEMPTIBLE } from './checks/registry.js';
import { unfinishedAdoptions } from './checks/unmanaged.js';
import type { Config, HygieneCheck } from './config.js';
import type { ManagedKey } from './credentials.js';
import { requestsElsewhere } from './regional-usage.js';
import { TAG, parseInstantTag, tagName } from './tags.js';
import { addDays, day } from './time.js';
import type { Action, Finding, Inventory, ObservedKey, PlanStats } from './types.js';

export interface HygieneSink {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
}

/** Which checks a key is exempt from today, from its exempt, exempt-until and exempt-reason tags. */
export function exemptions(
  key: ObservedKey,
  config: Config,
  now: Date,
  findings: Finding[],
): Set<HygieneCheck> {
  const tag = (name: (typeof TAG)[keyof typeof TAG]) => key.tags[tagName(config.tagPrefix, name)];
  const listed = tag(TAG.exempt);
  if (listed === undefined) return new Set();
  const untilTag = tagName(config.tagPrefix, TAG.exemptUntil);
  const until = tag(TAG.exemptUntil);
  const checks = listed.split(/[\s+]+/).filter((c) => c !== '');
  const unknown = checks.filter((c) => !(EXEMPTIBLE as readonly string[]).includes(c));
  const problems: string[] = [];
  if (unknown.length > 0 || checks.length === 0) {
    problems.push(
      `tag ${tagName(config.tagPrefix, TAG.exempt)}=${JSON.stringify(listed)} must list checks from ${EXEMPTIBLE.join(' ')}`,
    );
  }
  const untilDate =
    until !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(until) ? new Date(`${until}T00:00:00Z`) : undefined;
  if (untilDate === undefined || Number.isNaN(untilDate.getTime())) {
    problems.push(`tag ${untilTag}=${JSON.stringify(until ?? '')} must be a date such as 2026-12-31`);
  }
  if ((tag(TAG.exemptReason) ?? '').trim() === '') {
    problems.push(`tag ${tagName(config.tagPrefix, TAG.exemptReason)} must say why`);
  }
  if (problems.length > 0 || untilDate === undefined) {
    findings.push({
      kind: 'malformed-tag',
      keyId: key.id,
      tag: tagName(config.tagPrefix, TAG.exempt),
      message: `key ${key.id}: exemption ignored: ${problems.join('; ')}`,
    });
    return new Set();
  }
  // Exempt through the whole of the named day; flagged from the day after.
  if (now.getTime() >= addDays(untilDate, 1).getTime()) {
    findings.push({
      kind: 'exemption-expired',
      keyId: key.id,
      tag: untilTag,
      exemptUntil: until,
      message: `key ${key.id}: exemption from ${checks.join(', ')} expired after ${until}; the checks apply again`,
    });
    return new Set();
  }
  return new Set(checks as HygieneCheck[]);
}

export interface HygieneInput {
  inventory: Inventory;
  unmanaged: ObservedKey[];
  /** Current keys of managed credentials: overdue when older than their policy's period plus grace. */
  current: { key: ManagedKey; overdueSince: Date | undefined }[];
  credentialNames: Set<string>;
}

/**
 * Runs every check of the registry: on each unmanaged key, each credential's current key, then the
 * account. A check set to `ignore`, or named by a key's exemption, says nothing of that key.
 */
export function planHygiene(input: HygieneInput, config: Config, now: Date, sink: HygieneSink): void {
  // The default policy exists: the config schema checks it.
  const window = config.policies[config.defaultPolicy]!.disableWindowDays;
  const base: CheckContext = {
    now,
    tagPrefix: config.tagPrefix,
    secretPrefix: config.secretPrefix,
    defaultPolicy: config.defaultPolicy,
    windowDays: window,
    usage: input.inventory.usage,
    requestsElsewhere: requestsElsewhere(input.inventory, config.tagPrefix),
    taken: new Set(input.credentialNames),
    disabled: false,
    sharedValues: input.inventory.sharedValues,
    unfinished: unfinishedAdoptions(input.inventory.secrets, config),
  };
  const settingsOf = (check: AnyCheck): unknown => (config.hygiene as Record<string, unknown>)[check.name];
  const on = (check: AnyCheck) => (settingsOf(check) as { action?: string }).action !== 'ignore';
  const exemptOf = new Map<string, Set<HygieneCheck>>();
  const applies = (check: AnyCheck, keyId: string) =>
    on(check) && !(exemptOf.get(keyId)?.has(check.name as HygieneCheck) ?? false);
  const count = (check: AnyCheck, finding: CheckFinding<string>) => {
    sink.findings.push(finding as Finding);
    sink.stats.checks[check.name as keyof PlanStats['checks']]++;
  };
  const record = (check: AnyCheck, verdict: Verdict<string> | undefined, ctx: CheckContext) => {
    if (verdict === undefined) return;
    count(check, verdict.finding);
    if (verdict.action === undefined) return;
    sink.actions.push(verdict.action);
    if (verdict.action.kind === 'disable-key') ctx.disabled = true;
  };
  const exempt = (key: ObservedKey) => {
    const checks = exemptions(key, config, now, sink.findings);
    if (checks.size > 0) sink.stats.exemptions++;
    exemptOf.set(key.id, checks);
  };

  for (const key of input.unmanaged) {
    exempt(key);
    // Malformed: a finding names the key and the tag, and the key counts as never disabled by keyrot.
    const disabledTag = parseInstantTag(key.tags, tagName(config.tagPrefix, TAG.disabledAt), key.id);
    if (!disabledTag.ok) sink.findings.push(disabledTag.finding);
    const disabledAt = disabledTag.ok ? disabledTag.value : undefined;
    if (!key.enabled && disabledAt !== undefined) {
      // Disabled by this service (a hygiene action): finish the two-phase retirement.
      if (now.getTime() >= addDays(disabledAt, window).getTime()) {
        sink.actions.push({
          kind: 'delete-key',
          credential: undefined,
          keyId: key.id,
          reason: `unmanaged key ${key.id} was disabled by keyrot on ${day(disabledAt)}; the ${window}-day disable window ended`,
        });
      }
      continue;
    }
    if (key.enabled && disabledAt !== undefined) {
      // Re-enabled by hand: disabled again later, it must get a fresh window (I3).
      sink.actions.push({
        kind: 'forget-disabled',
        credential: undefined,
        keyId: key.id,
        reason: `unmanaged key ${key.id} was disabled by keyrot on ${day(disabledAt)} and re-enabled by hand; its disable record is removed, so a later disable starts a fresh ${window}-day window`,
      });
    }
    const ctx = { ...base, disabled: false };
    for (const check of CHECKS as readonly AnyCheck[]) {
      if (check.unmanagedKey === undefined || !applies(check, key.id)) continue;
      record(check, check.unmanagedKey(key, settingsOf(check), ctx), ctx);
    }
  }

  for (const { key, overdueSince } of input.current) {
    exempt(key.key);
    const ctx = { ...base, disabled: false };
    for (const check of CHECKS as readonly AnyCheck[]) {
      if (check.currentKey === undefined || !applies(check, key.key.id)) continue;
      record(check, check.currentKey(key, settingsOf(check), ctx, overdueSince), ctx);
    }
  }

  for (const check of CHECKS as readonly AnyCheck[]) {
    if (check.account === undefined || !on(check)) continue;
    for (const finding of check.account(input.inventory, settingsOf(check), base)) {
      // A finding about one key honours that key's exemption.
      if (finding.keyId !== undefined && !applies(check, finding.keyId)) continue;
      count(check, finding);
    }
  }
}
