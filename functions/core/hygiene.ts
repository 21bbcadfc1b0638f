import type { Config, HygieneCheck } from './config.js';
import type { ManagedKey } from './credentials.js';
import { CREDENTIAL_PATTERN, TAG, parseInstantTag, tagName } from './tags.js';
import { addDays, day } from './time.js';
import type { Action, Finding, Inventory, ObservedKey, PlanStats } from './types.js';

export interface HygieneSink {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
}

const CHECKS: HygieneCheck[] = ['unused', 'orphaned', 'lingering', 'unmanaged', 'overdue', 'posture'];

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
  const unknown = checks.filter((c) => !CHECKS.includes(c as HygieneCheck));
  const problems: string[] = [];
  if (unknown.length > 0 || checks.length === 0) {
    problems.push(
      `tag ${tagName(config.tagPrefix, TAG.exempt)}=${JSON.stringify(listed)} must list checks from ${CHECKS.join(' ')}`,
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

function ageDays(key: ObservedKey, now: Date, createdAt?: Date): number | undefined {
  const created = createdAt ?? key.createdDate;
  return created === undefined ? undefined : (now.getTime() - created.getTime()) / 86_400_000;
}

/** A credential name for an adopted key: its name made safe, or its id. */
export function adoptedCredentialName(key: ObservedKey, taken: Set<string>): string {
  const fromName = key.name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  const base = CREDENTIAL_PATTERN.test(fromName) ? fromName : key.id;
  return taken.has(base) ? `${base.slice(0, 63 - key.id.length)}-${key.id}` : base;
}

export interface HygieneInput {
  inventory: Inventory;
  unmanaged: ObservedKey[];
  /** Current keys of managed credentials: overdue when older than their policy's period plus grace. */
  current: { key: ManagedKey; overdueSince: Date | undefined }[];
  credentialNames: Set<string>;
}

/** Findings about keys nobody rotates or uses, and what policy says to do about them. */
export function planHygiene(input: HygieneInput, config: Config, now: Date, sink: HygieneSink): void {
  const { hygiene } = config;
  const usage = input.inventory.usage;
  // The default policy exists: the config schema checks it.
  const window = config.policies[config.defaultPolicy]!.disableWindowDays;
  const taken = new Set(input.credentialNames);
  const check = (key: ObservedKey, exempt: Set<HygieneCheck>, name: HygieneCheck) =>
    hygiene[name].action !== 'ignore' && !exempt.has(name);

  for (const key of input.unmanaged) {
    const exempt = exemptions(key, config, now, sink.findings);
    if (exempt.size > 0) sink.stats.exemptions++;
    const base = { keyId: key.id };
    // Malformed: a finding names the key and the tag, and the key counts as never disabled by keyrot.
    const disabledTag = parseInstantTag(key.tags, tagName(config.tagPrefix, TAG.disabledAt), key.id);
    if (!disabledTag.ok) sink.findings.push(disabledTag.finding);
    const disabledAt = disabledTag.ok ? disabledTag.value : undefined;
    if (!key.enabled) {
      if (disabledAt !== undefined) {
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
      const since = key.lastUpdatedDate ?? key.createdDate;
      if (since !== undefined && now.getTime() >= addDays(since, window).getTime()) {
        if (!check(key, exempt, 'lingering')) continue;
        sink.stats.lingeringKeys++;
        const deletes = hygiene.lingering.action === 'disable';
        sink.findings.push({
          ...base,
          kind: 'lingering',
          action: deletes ? 'delete' : 'report',
          message: `unmanaged key ${key.id} (${key.name}) disabled since at least ${day(since)}, longer than the ${window}-day window`,
        });
        if (deletes) {
          sink.actions.push({
            kind: 'delete-key',
            credential: undefined,
            keyId: key.id,
            reason: `lingering: disabled since at least ${day(since)}, longer than the ${window}-day disable window`,
          });
        }
      }
      continue;
    }
    if (disabledAt !== undefined) {
      // Re-enabled by hand: disabled again later, it must get a fresh window (I3).
      sink.actions.push({
        kind: 'forget-disabled',
        credential: undefined,
        keyId: key.id,
        reason: `unmanaged key ${key.id} was disabled by keyrot on ${day(disabledAt)} and re-enabled by hand; its disable record is removed, so a later disable starts a fresh ${window}-day window`,
      });
    }
    let disabled = false;
    const disable = (name: 'unused' | 'orphaned', reason: string) => {
      if (hygiene[name].action !== 'disable' || disabled) return 'report' as const;
      disabled = true;
      sink.actions.push({ kind: 'disable-key', credential: undefined, keyId: key.id, reason });
      return 'disable' as const;
    };
    if (key.planIds.length === 0) {
      if (check(key, exempt, 'orphaned')) {
        sink.stats.orphanedKeys++;
        const reason = `orphaned: key ${key.id} (${key.name}) is in no usage plan`;
        sink.findings.push({
          ...base,
          kind: 'orphaned',
          action: disable('orphaned', reason),
          message: reason,
        });
      }
    } else if (isUnused(key, usage, hygiene.unused.days, now)) {
      if (check(key, exempt, 'unused')) {
        sink.stats.unusedKeys++;
        const reason = `unused: key ${key.id} (${key.name}) had no request from ${usage?.from} to ${usage?.to}`;
        sink.findings.push({ ...base, kind: 'unused', action: disable('unused', reason), message: reason });
      }
    }
    if (check(key, exempt, 'unmanaged') && !disabled) {
      const adopt = hygiene.unmanaged.action === 'adopt';
      const credential = adoptedCredentialName(key, taken);
      sink.findings.push({
        ...base,
        kind: 'unmanaged',
        action: adopt ? 'adopt' : 'report',
        message: `key ${key.id} (${key.name}) has no ${tagName(config.tagPrefix, TAG.credential)} tag: nobody rotates it${adopt ? `; adopted as credential ${credential}` : ''}`,
      });
      if (adopt) {
        taken.add(credential);
        sink.actions.push({
          kind: 'adopt-key',
          credential,
          keyId: key.id,
          policy: config.defaultPolicy,
          reason: `unmanaged key ${key.id} (${key.name}) adopted: tagged, its value stored in ${config.secretPrefix}${credential}, rotated from now on`,
        });
      }
    }
  }

  for (const { key, overdueSince } of input.current) {
    const exempt = exemptions(key.key, config, now, sink.findings);
    if (exempt.size > 0) sink.stats.exemptions++;
    if (overdueSince !== undefined && check(key.key, exempt, 'overdue')) {
      sink.findings.push({
        kind: 'overdue',
        credential: key.credential,
        keyId: key.key.id,
        action: 'report',
        message: `credential ${key.credential}: current key ${key.key.id} active since ${day(overdueSince)}, past its policy's period plus grace`,
      });
    }
    const reportOnly = (kind: 'unused' | 'orphaned', text: string) => {
      if (!check(key.key, exempt, kind)) return;
      if (kind === 'unused') sink.stats.unusedKeys++;
      else sink.stats.orphanedKeys++;
      sink.findings.push({
        kind,
        credential: key.credential,
        keyId: key.key.id,
        action: 'report',
        message: `credential ${key.credential}: current key ${key.key.id} ${text}; a managed credential is retired by deleting its secret, never by a hygiene action`,
      });
    };
    if (key.key.planIds.length === 0) reportOnly('orphaned', 'is in no usage plan');
    else if (isUnused(key.key, usage, hygiene.unused.days, now, key.createdAt)) {
      reportOnly('unused', `had no request from ${usage?.from} to ${usage?.to}`);
    }
  }
}

/** No request over the whole window, and the key is older than the window. */
function isUnused(
  key: ObservedKey,
  usage: Inventory['usage'],
  days: number,
  now: Date,
  createdAt?: Date,
): boolean {
  if (usage === undefined) return false;
  const age = ageDays(key, now, createdAt);
  return age !== undefined && age >= days && (usage.requests[key.id] ?? 0) === 0;
}
