import type { RunReport } from './report.js';
import { ROTATION_KINDS } from './types.js';

export const PERIOD_REPORT_SCHEMA = 'keyrot/period-report@1';

export interface PeriodEvidence {
  at: string;
  runId: string;
  trigger: string;
  kind: string;
  keyId: string | null;
  /** The key's region: another region's for a multi-region credential's key there, else the run's. */
  region: string | null;
  outcome: string;
  reason: string;
  detail: string | null;
  error: string | null;
}

export interface PeriodException {
  at: string;
  runId: string;
  kind: string;
  keyId: string | null;
  message: string;
}

export interface CredentialHistory {
  credential: string;
  rotations: PeriodEvidence[];
  retirements: PeriodEvidence[];
  /** What on-call engineers did by hand: onboardings, rollbacks, suspensions and resumptions (emergency rotations are rotations). */
  interventions: PeriodEvidence[];
  exceptions: PeriodException[];
}

/** The audit view of a period: for each credential every rotation with its evidence, and every exception. */
export interface PeriodReport {
  schema: typeof PERIOD_REPORT_SCHEMA;
  from: string;
  to: string;
  runs: number;
  firstRun: string | null;
  lastRun: string | null;
  totals: {
    rotations: number;
    /** Of the rotations, those an emergency request made (keyrot rotate). */
    emergencyRotations: number;
    retirements: number;
    rollbacks: number;
    onboardings: number;
    /** keyrot suspend and keyrot resume done in the period. */
    suspensions: number;
    resumptions: number;
    failures: number;
    exceptions: number;
    credentials: number;
  };
  credentials: CredentialHistory[];
  /** Findings and failures not tied to a credential (unmanaged keys, posture, quota). */
  accountExceptions: PeriodException[];
}

const ROTATIONS = new Set<string>(ROTATION_KINDS);
const RETIREMENTS = new Set(['disable-key', 'delete-key', 'record-disabled', 'forget-disabled']);
const INTERVENTIONS = new Set(['onboard', 'add-region', 'rollback', 'suspend', 'resume']);

export function buildPeriodReport(reports: RunReport[], from: Date, to: Date): PeriodReport {
  const inPeriod = reports
    .filter((r) => !r.dryRun && r.generatedAt >= from.toISOString() && r.generatedAt <= to.toISOString())
    .sort((a, b) => a.generatedAt.localeCompare(b.generatedAt));
  const histories = new Map<string, CredentialHistory>();
  const historyOf = (credential: string) => {
    let h = histories.get(credential);
    if (h === undefined) {
      h = { credential, rotations: [], retirements: [], interventions: [], exceptions: [] };
      histories.set(credential, h);
    }
    return h;
  };
  const accountExceptions: PeriodException[] = [];
  for (const report of inPeriod) {
    for (const a of report.actions) {
      const evidence: PeriodEvidence = {
        at: report.generatedAt,
        runId: report.runId,
        trigger: report.trigger,
        kind: a.kind,
        keyId: a.keyId,
        // Reports written before actions named a region: every key was the run's own region's.
        region: a.region ?? report.region,
        outcome: a.outcome,
        reason: a.reason,
        detail: a.detail,
        error: a.error,
      };
      const exception =
        a.outcome === 'failed'
          ? {
              at: report.generatedAt,
              runId: report.runId,
              kind: `${a.kind} failed`,
              keyId: a.keyId,
              message: a.error ?? a.reason,
            }
          : undefined;
      if (a.credential === null) {
        if (exception !== undefined) accountExceptions.push(exception);
        continue;
      }
      const h = historyOf(a.credential);
      if (ROTATIONS.has(a.kind)) h.rotations.push(evidence);
      else if (RETIREMENTS.has(a.kind)) h.retirements.push(evidence);
      else if (INTERVENTIONS.has(a.kind)) h.interventions.push(evidence);
      if (exception !== undefined) h.exceptions.push(exception);
    }
    for (const f of report.findings) {
      const exception = {
        at: report.generatedAt,
        runId: report.runId,
        kind: f.kind,
        keyId: f.keyId ?? null,
        message: f.message,
      };
      if (f.credential === undefined) accountExceptions.push(exception);
      else historyOf(f.credential).exceptions.push(exception);
    }
    for (const key of report.keys) if (key.credential !== null) historyOf(key.credential);
  }
  const credentials = [...histories.values()].sort((a, b) => a.credential.localeCompare(b.credential));
  const count = (pick: (h: CredentialHistory) => unknown[]) =>
    credentials.reduce((n, h) => n + pick(h).length, 0);
  return {
    schema: PERIOD_REPORT_SCHEMA,
    from: from.toISOString(),
    to: to.toISOString(),
    runs: inPeriod.length,
    firstRun: inPeriod[0]?.generatedAt ?? null,
    lastRun: inPeriod.at(-1)?.generatedAt ?? null,
    totals: {
      rotations: count((h) => h.rotations.filter((r) => r.outcome === 'done')),
      emergencyRotations: count((h) =>
        h.rotations.filter((r) => r.outcome === 'done' && r.trigger === 'emergency'),
      ),
      retirements: count((h) => h.retirements.filter((r) => r.outcome === 'done')),
      rollbacks: count((h) => h.interventions.filter((r) => r.outcome === 'done' && r.kind === 'rollback')),
      onboardings: count((h) => h.interventions.filter((r) => r.outcome === 'done' && r.kind === 'onboard')),
      suspensions: count((h) => h.interventions.filter((r) => r.outcome === 'done' && r.kind === 'suspend')),
      resumptions: count((h) => h.interventions.filter((r) => r.outcome === 'done' && r.kind === 'resume')),
      failures:
        count((h) =>
          h.rotations.concat(h.retirements, h.interventions).filter((r) => r.outcome === 'failed'),
        ) + accountExceptions.filter((e) => e.kind.endsWith(' failed')).length,
      exceptions: count((h) => h.exceptions) + accountExceptions.length,
      credentials: credentials.length,
    },
    credentials,
    accountExceptions,
  };
}
