import type { Action, Finding } from '../functions/core/types.js';
import type { RunResult } from '../functions/reconcile/run.js';

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
      return action.credential;
    case 'attach-key':
      return `${action.keyId} -> ${action.usagePlanId}`;
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
  for (const finding of result.plan.findings) lines.push(findingLine(finding));
  return lines.join('\n');
}

function findingLine(finding: Finding): string {
  return `  finding ${finding.kind.padEnd(18)} ${finding.message}`;
}
