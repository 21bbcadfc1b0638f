import {
  BatchImportFindingsCommand,
  paginateGetFindings,
  type AwsSecurityFinding,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { partition } from '@aws-sdk/core/client';
import type { RunReport } from '../core/report.js';
import {
  GENERATOR_PREFIX,
  defaultProductArn,
  securityHubUpdate,
  type StoredFinding,
} from '../core/security-findings.js';
import { errorMessage, isAwsError } from '../commons/errors.js';

/** BatchImportFindings takes at most 100 findings a call. */
export const PER_IMPORT = 100;

export interface SecurityHubOutcome {
  /** Findings imported ACTIVE (created or updated). */
  active: number;
  /** Findings that no longer hold, archived (Security Hub resolves their workflow). */
  archived: number;
  /** What went wrong, one line each, naming the finding; the run's other work stands. */
  problems: string[];
}

const NOT_ENABLED =
  'Security Hub is not enabled in this account and region: enable it (EnableSecurityHub, or the console), or set securityHub.enabled to false in keyrot’s configuration';

/** keyrot's findings ACTIVE in Security Hub: its default product, GeneratorId keyrot/..., RecordState ACTIVE. */
export async function activeKeyrotFindings(
  securityhub: SecurityHubClient,
  productArn: string,
): Promise<StoredFinding[]> {
  const found: StoredFinding[] = [];
  const pages = paginateGetFindings(
    { client: securityhub, pageSize: 100 },
    {
      Filters: {
        ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: GENERATOR_PREFIX, Comparison: 'PREFIX' }],
        RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
      },
    },
  );
  for await (const page of pages) {
    for (const f of page.Findings ?? []) if (f.Id !== undefined) found.push({ ...f, Id: f.Id });
  }
  return found;
}

/**
 * Publishes a finished run's findings (core/security-findings.ts): reads keyrot's ACTIVE findings,
 * imports what holds and archives what no longer does, 100 a call. Never throws: a failed finding or
 * call is a problem in the outcome, and Security Hub not enabled is one clear problem naming the fix.
 */
export async function publishSecurityFindings(
  securityhub: SecurityHubClient,
  report: RunReport,
  now: Date,
  runbookBaseUrl: string | undefined,
): Promise<SecurityHubOutcome> {
  const outcome: SecurityHubOutcome = { active: 0, archived: 0, problems: [] };
  if (report.account === null || report.region === null) {
    outcome.problems.push('Security Hub findings not published: the run’s account or region is unknown');
    return outcome;
  }
  const part = partition(report.region).name;
  try {
    const active = await activeKeyrotFindings(
      securityhub,
      defaultProductArn(part, report.region, report.account),
    );
    const update = securityHubUpdate({ report, partition: part, now, runbookBaseUrl, active });
    if (update.archiveSkipped !== undefined) outcome.problems.push(update.archiveSkipped);
    const archivedIds = new Set(update.archived.map((f) => f.Id));
    // Archived findings are keyrot's own, read back from Security Hub: the provider's fields as stored.
    const all = [...update.findings, ...update.archived] as AwsSecurityFinding[];
    for (let i = 0; i < all.length; i += PER_IMPORT) {
      const batch = all.slice(i, i + PER_IMPORT);
      const out = await securityhub.send(new BatchImportFindingsCommand({ Findings: batch }));
      const failed = new Set<string>();
      for (const f of out.FailedFindings ?? []) {
        failed.add(f.Id ?? '');
        outcome.problems.push(
          `Security Hub refused finding ${f.Id ?? '(no id)'}: ${f.ErrorCode ?? 'error'}: ${f.ErrorMessage ?? ''}`.trim(),
        );
      }
      for (const f of batch) {
        if (f.Id === undefined || failed.has(f.Id)) continue;
        if (archivedIds.has(f.Id)) outcome.archived++;
        else outcome.active++;
      }
    }
  } catch (error) {
    outcome.problems.push(
      isAwsError(error, 'InvalidAccessException')
        ? NOT_ENABLED
        : `Security Hub findings not published: ${errorMessage(error)}`,
    );
  }
  if (outcome.problems.some((p) => /InvalidAccess\b/.test(p))) outcome.problems.unshift(NOT_ENABLED);
  return outcome;
}
