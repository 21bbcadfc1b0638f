import type { RotateManyResult } from '../functions/oncall/rotate-many.js';
import type { Action, Finding } from '../functions/core/types.js';
import type { RunResult } from '../functions/reconcile/run.js';
import type { PeriodReport } from '../functions/core/period-report.js';
import type { KeyRow } from '../functions/core/report.js';

/** What `--json` prints: no key values ever reach it, since the reconciler never reads one. */
export function runToJson(result: RunResult) {
  return {
    runId: result.runId,
    trigger: result.trigger,
    now: result.now.toISOString(),
    dryRun: result.dryRun,
    stats: result.plan.stats,
    actions: result.plan.actions,
    findings: result.plan.findings,
    outcomes: result.outcomes.map((o) => ({
      kind: o.action.kind,
      credential: o.action.credential,
      status: o.status,
      detail: o.detail,
      error: o.error,
    })),
    metrics: result.metrics,
  };
}

function target(action: Action): string {
  switch (action.kind) {
    case 'rotate':
    case 'resume-rotation':
    case 'configure-rotation':
    case 'rollback':
    case 'onboard':
    case 'grant-consumers':
    case 'suspend':
    case 'end-suspension':
    case 'record-ownership':
      return action.credential;
    case 'add-region':
      return `${action.credential} -> ${action.region}`;
    case 'attach-key':
      return `${action.keyId} -> ${action.usagePlanId}`;
    case 'disable-key':
    case 'delete-key':
      // Another region's key of a multi-region credential: where it is.
      return action.region === undefined ? action.keyId : `${action.keyId} (${action.region})`;
    default:
      return action.keyId;
  }
}

export function runToText(result: RunResult): string {
  const lines: string[] = [];
  const s = result.plan.stats;
  const verb = result.dryRun ? 'plan' : 'apply';
  lines.push(
    `${verb} at ${result.now.toISOString()} (run ${result.runId}): ${s.totalKeys} keys, ${s.managedKeys} managed in ${s.credentials} credentials, ${s.overdueKeys} overdue, ${s.keysInGrace} in grace`,
  );
  lines.push(tally(result));
  if (result.plan.actions.length === 0) lines.push('nothing to do');
  const outcomeOf = new Map(result.outcomes.map((o) => [o.action, o]));
  for (const action of result.plan.actions) {
    const outcome = outcomeOf.get(action);
    const status = outcome === undefined ? 'planned' : outcome.status;
    const error = outcome?.error ? ` [${outcome.error.name}: ${outcome.error.message}]` : '';
    lines.push(
      `  ${status.padEnd(7)} ${action.kind.padEnd(18)} ${target(action).padEnd(40)} ${action.reason}${error}`,
    );
  }
  for (const finding of result.report.findings) lines.push(findingLine(finding));
  if (!result.dryRun) lines.push(outcomeTally(result));
  return lines.join('\n');
}

const ALWAYS: Action['kind'][] = ['rotate', 'disable-key', 'delete-key'];

/** "plan: 3 rotate, 1 disable-key, 0 delete-key": rotations and retirements always, the rest when any. */
export function tally(result: Pick<RunResult, 'plan' | 'dryRun'>): string {
  const counts = new Map<string, number>(ALWAYS.map((k) => [k, 0]));
  for (const a of result.plan.actions) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  const parts = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
  return `${result.dryRun ? 'plan' : 'to apply'}: ${parts}`;
}

/** "applied: 4 done, 1 failed, 0 deferred, 0 started" at the end of an apply. */
export function outcomeTally(result: RunResult): string {
  const n = (status: string) => result.outcomes.filter((o) => o.status === status).length;
  return `applied: ${n('done')} done, ${n('failed')} failed, ${n('deferred')} deferred, ${n('started')} still running`;
}

function findingLine(finding: Finding): string {
  // Answered by this very run (the key was rotated, disabled or deleted): not an open finding.
  if (finding.resolvedByRun !== undefined)
    return `  resolved ${finding.kind.padEnd(17)} ${finding.message} (by this run: ${finding.resolvedByRun})`;
  return `  finding ${finding.kind.padEnd(18)} ${finding.message}`;
}

/**
 * The next rotation as the planner decides it (the report row's nextRotationAt): "due" once that day
 * has come, "OVERDUE" once the key is past its period and grace (the row is not compliant).
 */
function nextRotation(r: KeyRow, now: Date): string {
  if (r.state === 'disabled') return `disabled ${r.disabledAt?.slice(0, 10) ?? '?'}`;
  if (r.suspendReason !== null)
    return r.suspendedSince === null ? 'CUT OFF (by hand)' : `SUSPENDED ${r.suspendedSince.slice(0, 10)}`;
  if (r.nextRotationAt === null) return '-';
  const day = r.nextRotationAt.slice(0, 10);
  if (r.state === 'active' && !r.compliant) return `${day} OVERDUE`;
  return new Date(r.nextRotationAt) <= now ? `${day} due` : day;
}

export function statusText(rows: KeyRow[], planned: Action[], now: Date): string {
  const lines = [
    `${'credential'.padEnd(22)} ${'state'.padEnd(10)} ${'key'.padEnd(12)} gen ${'current since'.padEnd(11)} ${'next rotation'.padEnd(18)} plans`,
  ];
  for (const r of rows) {
    lines.push(
      [
        (r.credential ?? '(unmanaged)').padEnd(22),
        r.state.padEnd(10),
        r.keyId.padEnd(12),
        String(r.generation ?? '-').padStart(3),
        (r.activatedAt?.slice(0, 10) ?? '-').padEnd(11),
        nextRotation(r, now).padEnd(18),
        r.usagePlans.join(','),
      ].join(' '),
    );
  }
  for (const r of rows.filter((row) => row.suspendReason !== null))
    lines.push(
      `  ${r.credential ?? ''} is cut off: ${r.suspendedSince === null ? r.suspendReason : `suspended since ${r.suspendedSince} (${r.suspendReason})`}; nothing scheduled gives it a key until keyrot resume ${r.credential ?? ''} (or keyrot rotate)`,
    );
  for (const a of planned) lines.push(`  next run: ${a.kind} ${a.credential ?? ''}: ${a.reason}`);
  return lines.join('\n');
}

export function periodText(p: PeriodReport): string {
  const lines = [
    `period ${p.from.slice(0, 10)} to ${p.to.slice(0, 10)}: ${p.runs} runs, ${p.totals.rotations} rotations (${p.totals.emergencyRotations} emergency), ${p.totals.retirements} retirements, ${p.totals.rollbacks} rollbacks, ${p.totals.onboardings} onboardings, ${p.totals.suspensions} suspensions, ${p.totals.resumptions} resumptions, ${p.totals.failures} failures, ${p.totals.exceptions} exceptions, ${p.totals.credentials} credentials`,
  ];
  for (const c of p.credentials) {
    lines.push(
      `  ${c.credential}: ${c.rotations.length} rotation(s), ${c.retirements.length} retirement step(s), ${c.interventions.length} by hand, ${c.exceptions.length} exception(s)`,
    );
    const history = [...c.rotations, ...c.interventions].sort((a, b) => a.at.localeCompare(b.at));
    for (const r of history)
      lines.push(
        `    ${r.at.slice(0, 10)} ${r.kind} ${r.outcome} (run ${r.runId}, ${r.trigger})${r.error ? `: ${r.error}` : ''}`,
      );
  }
  return lines.join('\n');
}

/** "7 min 20 s", "45 s". */
export function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** keyrot rotate --all: the count and estimate (dry run), or what was rotated, failed and is left. */
export function rotateManyText(r: RotateManyResult): string {
  const e = r.estimate;
  const lines = [
    `${r.dryRun ? 'emergency rotation (dry run)' : 'emergency rotation'}: ${r.selected} credential(s) selected${r.skipped.length > 0 ? `, ${r.skipped.length} skipped` : ''}`,
    `estimate: ${durationText(e.seconds * 1000)} at the quotas, bound by the ${e.boundBy} (${e.sharedCalls} API Gateway shared calls, ${e.attachments} of them attachments; ${e.rotations} CreateApiKey; ${e.secretWrites} Secrets Manager writes)`,
  ];
  for (const s of r.skipped.slice(0, 20)) lines.push(`  skipped ${s.credential}: ${s.why}`);
  if (r.dryRun) return lines.join('\n');
  lines.push(
    `rotated ${r.rotated} of ${r.selected} in ${durationText(r.durationMs)} (${r.runs} run(s))${r.failed.length > 0 ? `; ${r.failed.length} failed` : ''}`,
  );
  for (const f of r.failed.slice(0, 20)) lines.push(`  failed ${f.credential}: ${f.error}`);
  if (r.remaining.length > 0)
    lines.push(
      `${r.remaining.length} not rotated yet (${r.remaining.slice(0, 10).join(', ')}${r.remaining.length > 10 ? ', ...' : ''}): the request stays on their secrets; the scheduled runs, or this command again, carry it on`,
    );
  return lines.join('\n');
}

/** keyrot rollback: what was restored, and when the restored key is next due (its age is kept). */
export function rollbackText(result: RunResult): string {
  const action = result.plan.actions[0];
  if (action?.kind !== 'rollback') return runToText(result);
  const outcome = result.outcomes[0];
  const row = result.report.keys.find((k) => k.keyId === action.keyId);
  // A restored key that was due is held (by default, or --pause): its due date alone would read as "now".
  const due = action.pauseUntil
    ? `; rotation held until ${action.pauseUntil.slice(0, 10)}${row?.nextRotationAt ? ` (the restored key was due ${row.nextRotationAt.slice(0, 10)})` : ''}; keyrot rotate ${action.credential} rotates it sooner`
    : row?.nextRotationAt
      ? `; next rotation due ${row.nextRotationAt.slice(0, 10)}`
      : '';
  const forced = action.forced
    ? ` (FORCED: revoked ${action.forced.revokedAt.slice(0, 10)} because it leaked)`
    : '';
  if (result.dryRun)
    return `would roll back ${action.credential}: key ${action.keyId} (version ${action.version}) current again${forced}, key ${action.fromKeyId} retiring after its grace\n  ${action.reason}`;
  if (outcome?.status !== 'done')
    return `rollback of ${action.credential} ${outcome?.status ?? 'not run'}${outcome?.error ? `: ${outcome.error.name}: ${outcome.error.message}` : ''}`;
  return `rolled back ${action.credential}: key ${action.keyId} (version ${action.version}) is current and enabled again${forced}; key ${action.fromKeyId} retires after its grace${due}`;
}
