import { SECURITY_CHECKS } from './security-findings.js';
import type { Action, Finding, Trigger } from './types.js';

export const EVENT_SOURCE = 'keyrot';

/** detail-type per kind, so consumers and automation can subscribe to exactly what they need. */
export const DETAIL_TYPE = {
  rotated: 'API Key Rotated',
  rotationFailed: 'API Key Rotation Failed',
  disabled: 'API Key Disabled',
  deleted: 'API Key Deleted',
  adopted: 'API Key Adopted',
  revoked: 'API Key Revoked',
  rolledBack: 'API Key Rolled Back',
  /** keyrot suspend and resume: a consumer cut off on purpose, and let back in. */
  suspended: 'API Key Credential Suspended',
  resumed: 'API Key Credential Resumed',
  onboarded: 'API Key Credential Onboarded',
  finding: 'API Key Hygiene Finding',
  findingsSummary: 'API Key Hygiene Summary',
  /** keyrot rotate --all: what was asked, what was rotated, what is left (a later run carries it on). */
  emergencySummary: 'API Key Emergency Rotation Summary',
} as const;

/**
 * Finding events one run sends at most. Findings stand from run to run (an account with 9,000
 * unmanaged keys has 9,000 every day): past this, the run's summary event counts them and the run
 * report lists every one.
 */
export const MAX_FINDING_EVENTS = 100;

export interface KeyrotEvent {
  detailType: (typeof DETAIL_TYPE)[keyof typeof DETAIL_TYPE];
  /** Never a key value: ids, names, versions and reasons only. */
  detail: Record<string, unknown>;
}

interface OutcomeLike {
  action: Action;
  status: 'done' | 'failed' | 'deferred' | 'started';
  detail?: string | undefined;
  error?: { name: string; message: string } | undefined;
}

/**
 * One event per rotation and retirement step of a run; one per finding up to MAX_FINDING_EVENTS, those
 * about a managed credential first (a broken credential needs someone) and informational ones last
 * (nobody needs to act: a region with a thousand credentials owned elsewhere must not crowd out the
 * rest); and one summary of the run's findings by kind.
 */
export function runEvents(
  run: { runId: string; trigger: Trigger; now: Date },
  outcomes: OutcomeLike[],
  findings: Finding[],
): KeyrotEvent[] {
  const base = { runId: run.runId, trigger: run.trigger, time: run.now.toISOString() };
  const events: KeyrotEvent[] = [];
  for (const { action, status, detail, error } of outcomes) {
    // A started rotation is announced when it is seen finished (record-rotation), never before.
    if (status === 'deferred' || status === 'started') continue;
    const common = {
      ...base,
      credential: action.credential ?? null,
      // Another region's key of a multi-region credential: where it is.
      ...('region' in action && action.region !== undefined && { keyRegion: action.region }),
      reason: action.reason,
    };
    if (action.kind === 'record-rotation') {
      if (status === 'done') {
        events.push({
          detailType: DETAIL_TYPE.rotated,
          detail: {
            ...common,
            secretId: action.secretId,
            version: action.version,
            previousVersion: action.previousVersion,
            keyId: action.keyId,
            previousKeyId: null,
          },
        });
      }
      continue;
    }
    if (action.kind === 'rotate' || action.kind === 'resume-rotation') {
      events.push(
        status === 'done'
          ? {
              detailType: DETAIL_TYPE.rotated,
              detail: {
                ...common,
                secretId: action.secretId,
                version: detail ?? null,
                previousKeyId: action.kind === 'rotate' ? action.currentKeyId : null,
                // A portal can tell the customer its key changed (never the key itself).
                customerId:
                  action.kind === 'rotate' &&
                  action.facts.identity !== undefined &&
                  action.facts.identity !== 'lookup'
                    ? (action.facts.identity.customerId ?? null)
                    : null,
              },
            }
          : {
              detailType: DETAIL_TYPE.rotationFailed,
              detail: { ...common, secretId: action.secretId, error: error ?? null },
            },
      );
      if (status === 'done' && action.kind === 'rotate' && action.revoke === true)
        events.push({
          detailType: DETAIL_TYPE.revoked,
          detail: { ...common, keyId: action.currentKeyId, reason: 'emergency rotation with zero grace' },
        });
      continue;
    }
    if (status !== 'done') continue;
    if (action.kind === 'disable-key')
      events.push(
        action.revoke === true
          ? { detailType: DETAIL_TYPE.revoked, detail: { ...common, keyId: action.keyId } }
          : { detailType: DETAIL_TYPE.disabled, detail: { ...common, keyId: action.keyId } },
      );
    if (action.kind === 'onboard')
      events.push({
        detailType: DETAIL_TYPE.onboarded,
        detail: {
          ...common,
          secretName: action.secretName,
          version: action.version,
          usagePlanIds: action.usagePlanIds,
        },
      });
    if (action.kind === 'rollback')
      events.push({
        detailType: DETAIL_TYPE.rolledBack,
        detail: {
          ...common,
          secretId: action.secretId,
          restoredKeyId: action.keyId,
          restoredVersion: action.version,
          supersededKeyId: action.fromKeyId,
          // Forced: the restored key had been revoked because it leaked, and is live again.
          forced: action.forced !== undefined,
          revokedAt: action.forced?.revokedAt ?? null,
          pausedUntil: action.pauseUntil ?? null,
        },
      });
    if (action.kind === 'suspend')
      events.push({
        detailType: DETAIL_TYPE.suspended,
        detail: {
          ...common,
          secretId: action.secretId,
          version: action.version,
          suspendReason: action.suspendReason,
          disabledKeyIds: action.disableKeyIds,
        },
      });
    if (action.kind === 'resume')
      events.push({
        detailType: DETAIL_TYPE.resumed,
        detail: { ...common, secretId: action.secretId, keyId: action.keyId, enabled: action.enable },
      });
    if (action.kind === 'delete-key')
      events.push({ detailType: DETAIL_TYPE.deleted, detail: { ...common, keyId: action.keyId } });
    if (action.kind === 'adopt-key')
      events.push({ detailType: DETAIL_TYPE.adopted, detail: { ...common, keyId: action.keyId } });
  }
  if (findings.length === 0) return events;
  const rank = (f: Finding) =>
    f.kind !== 'read-failed' && SECURITY_CHECKS[f.kind].severity === 'INFORMATIONAL'
      ? 2
      : f.credential !== undefined
        ? 0
        : 1;
  const first = [...findings].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_FINDING_EVENTS);
  for (const finding of first) {
    events.push({ detailType: DETAIL_TYPE.finding, detail: { ...base, ...finding } });
  }
  const byKind: Record<string, number> = {};
  for (const f of findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  events.push({
    detailType: DETAIL_TYPE.findingsSummary,
    detail: { ...base, findings: findings.length, byKind, sentAsEvents: first.length },
  });
  return events;
}
