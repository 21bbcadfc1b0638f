import { apiGatewayArn } from './arns.js';
import type { RunReport } from './report.js';
import type { Finding, FindingKind } from './types.js';

/**
 * A finished run's findings as AWS Security Finding Format (ASFF) findings for the account's default
 * Security Hub product, and the findings keyrot raised before that no longer hold (docs/security-hub.md).
 * Pure: the shell (aws/security-hub.ts) reads what is ACTIVE in Security Hub and imports the result.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Every keyrot GeneratorId starts with it: GetFindings reads keyrot's findings with a PREFIX filter. */
export const GENERATOR_PREFIX = 'keyrot/';

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
/** What the run found that Security Hub tracks: the report's findings, and failed rotations. */
export type Check = Exclude<FindingKind, 'read-failed'> | 'rotation-failed';

const PRACTICES = 'Software and Configuration Checks/AWS Security Best Practices';

interface CheckSpec {
  title: string;
  severity: SeverityLabel;
  /** The runbook (runbooks/<file>, with #anchor) on-call follows for it. */
  runbook: string;
  remedy: string;
}

const hygiene = (anchor: string) => `hygiene-findings.md#${anchor}`;

/**
 * Severity by check: what it costs if nobody acts. A failed rotation, a credential whose consumers get
 * 403 and a deleted secret are HIGH; keys outside rotation or limits, MEDIUM; keys that only cost
 * quota or attention, LOW. Overdue is MEDIUM, HIGH once the key is twice its period old.
 */
export const SECURITY_CHECKS: Record<Check, CheckSpec> = {
  'rotation-failed': {
    title: 'API key rotation failed',
    severity: 'HIGH',
    runbook: 'KeyRotationFailed.md',
    remedy: 'Find the failed step and its error, repair it, and rotate the credential again.',
  },
  overdue: {
    title: 'API key past its rotation period plus grace',
    severity: 'MEDIUM',
    runbook: 'KeysOverdue.md',
    remedy: 'Find why the credential is not rotating (paused, quota, failures) and rotate it.',
  },
  unused: {
    title: 'API key unused',
    severity: 'LOW',
    runbook: hygiene('unused'),
    remedy: 'Confirm nobody uses the key, then let keyrot disable it (hygiene.unused.action) or delete it.',
  },
  orphaned: {
    title: 'API key in no usage plan',
    severity: 'LOW',
    runbook: hygiene('orphaned'),
    remedy: 'Attach the key to its consumer’s usage plan or retire it.',
  },
  lingering: {
    title: 'Disabled API key kept past the disable window',
    severity: 'LOW',
    runbook: hygiene('lingering'),
    remedy: 'Delete the key, or re-enable it if it is still needed.',
  },
  unmanaged: {
    title: 'API key not rotated by keyrot',
    severity: 'MEDIUM',
    runbook: 'onboard-existing-keys.md',
    remedy: 'Adopt the key (keyrot onboarding) or retire it.',
  },
  stageless: {
    title: 'API key whose usage plans open no API stage',
    severity: 'LOW',
    runbook: hygiene('stageless'),
    remedy: 'Add the API stages to the usage plan or retire the key.',
  },
  quota: {
    title: 'API key quota near its limit',
    severity: 'MEDIUM',
    runbook: 'KeyQuotaNearLimit.md',
    remedy: 'Delete unused keys or ask AWS for a higher API key quota.',
  },
  'posture-method-without-key': {
    title: 'API methods in a usage plan that do not require an API key',
    severity: 'MEDIUM',
    runbook: hygiene('posture'),
    remedy: 'Set apiKeyRequired on the methods and redeploy the stage.',
  },
  'posture-plan-unlimited': {
    title: 'Usage plan without throttle or quota',
    severity: 'MEDIUM',
    runbook: hygiene('posture'),
    remedy: 'Give the usage plan a throttle and a quota.',
  },
  'posture-authorizer-key-source': {
    title: 'API takes its API key from a Lambda authorizer',
    severity: 'MEDIUM',
    runbook: hygiene('posture'),
    remedy: 'Move clients to the x-api-key header (apiKeySource HEADER).',
  },
  'posture-key-opens-many-apis': {
    title: 'API key opens many APIs',
    severity: 'LOW',
    runbook: hygiene('posture'),
    remedy: 'Split the consumer’s access into usage plans per API.',
  },
  'malformed-tag': {
    title: 'keyrot tag on an API key is malformed',
    severity: 'MEDIUM',
    runbook: hygiene('tags'),
    remedy: 'Correct or remove the tag named in the finding.',
  },
  'unknown-policy': {
    title: 'API key names an unknown rotation policy',
    severity: 'MEDIUM',
    runbook: hygiene('tags'),
    remedy: 'Tag the key with a configured policy, or add the policy to the configuration.',
  },
  'exemption-expired': {
    title: 'API key exemption expired',
    severity: 'LOW',
    runbook: hygiene('exemptions'),
    remedy: 'Renew the exemption with a reason and an end date, or fix what it covered.',
  },
  'secret-missing': {
    title: 'Credential without its secret',
    severity: 'MEDIUM',
    runbook: hygiene('credentials'),
    remedy: 'Onboard the credential again or remove its tags from the keys.',
  },
  'secret-deleted': {
    title: 'Credential secret scheduled for deletion',
    severity: 'HIGH',
    runbook: 'restore-deleted-secret.md',
    remedy: 'Restore the secret (RestoreSecret) if the credential is still in use.',
  },
  'credential-without-keys': {
    title: 'Credential secret without API keys',
    severity: 'MEDIUM',
    runbook: hygiene('credentials'),
    remedy: 'Onboard the credential again or delete its secret.',
  },
  'current-key-missing': {
    title: 'Credential current key missing',
    severity: 'HIGH',
    runbook: hygiene('credentials'),
    remedy: 'Move AWSCURRENT back to the version a key carries, or roll back.',
  },
  'current-key-ambiguous': {
    title: 'Several API keys claim to be a credential’s current key',
    severity: 'MEDIUM',
    runbook: hygiene('credentials'),
    remedy: 'Remove the keyrot tags from the keys that do not hold the secret’s value.',
  },
  'ownership-mismatch': {
    title: 'API key claims a credential that does not record it',
    severity: 'HIGH',
    runbook: 'ownership-mismatch.md',
    remedy:
      'Find who tagged the key; remove the keyrot tags from a foreign key, retire an old key of the credential by hand.',
  },
  'current-key-disabled': {
    title: 'Credential current key disabled',
    severity: 'HIGH',
    runbook: 'consumer-locked-out.md',
    remedy: 'Re-enable the key (keyrot resume) or give the consumer a new one (keyrot rotate).',
  },
  'credential-suspended': {
    title: 'Credential suspended',
    severity: 'INFORMATIONAL',
    runbook: 'suspend-and-resume.md',
    remedy: 'Resume the credential (keyrot resume) when its consumer may have access again.',
  },
  'owned-in-region': {
    title: 'Credential owned by the keyrot stack of another region',
    severity: 'INFORMATIONAL',
    runbook: hygiene('owned-in-region'),
    remedy: 'Nothing here: run on-call commands for the credential in its home region, named in the finding.',
  },
  'adoption-deferred': {
    title: 'Unmanaged API key adopted by the keyrot stack of another region',
    severity: 'INFORMATIONAL',
    runbook: hygiene('adoption-deferred'),
    remedy:
      'Nothing here: the region named in the finding adopts every key with this value as one credential.',
  },
  'region-namesake': {
    title: 'Unmanaged API keys share a name but not a value across regions',
    severity: 'LOW',
    runbook: hygiene('region-namesake'),
    remedy:
      'Each region adopts its own key as a separate credential; give a consumer meant to use one key everywhere the same value in every region.',
  },
  'replication-failed': {
    title: 'Secret replica of a multi-region credential failed to replicate',
    severity: 'HIGH',
    runbook: 'multi-region.md#replication-failed',
    remedy:
      'Make the region’s KMS key usable (deploy or re-enable the keyrot stack key there), then replicate the secret to the region again.',
  },
  'key-reenabled': {
    title: 'Retired API key re-enabled by hand',
    severity: 'MEDIUM',
    runbook: hygiene('credentials'),
    remedy: 'Confirm who re-enabled it; keyrot retires it again unless it is made current (keyrot rollback).',
  },
  'retiring-key-in-use': {
    title: 'Superseded API key still in use after its grace period',
    severity: 'MEDIUM',
    runbook: 'consumer-locked-out.md',
    remedy: 'Move the consumer still using the old key to the secret’s current value.',
  },
  'rotation-paused': {
    title: 'Rotation due but paused',
    severity: 'LOW',
    runbook: 'pause-rotation.md',
    remedy: 'Resume rotation when the pause’s reason no longer holds.',
  },
};

/** One resource of a finding (ASFF Resource). */
export interface AsffResource {
  Type: string;
  Id: string;
  Partition: string;
  Region: string;
  Details?: { Other: Record<string, string> };
}

/** The ASFF fields keyrot sets (every required one, for creation and updates alike). */
export interface AsffFinding {
  SchemaVersion: typeof ASFF_SCHEMA_VERSION;
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: SeverityLabel };
  FindingProviderFields: { Severity: { Label: SeverityLabel; Original: string }; Types: string[] };
  Title: string;
  Description: string;
  Remediation: { Recommendation: { Text: string; Url?: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Compliance: { Status: 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE' };
  RecordState: 'ACTIVE' | 'ARCHIVED';
}

/** A keyrot finding as GetFindings returned it: what an archival re-imports. */
export type StoredFinding = { Id: string } & Record<string, unknown>;

/** Fields the provider may not (or should not) send on an update: the customer's investigation. */
const CUSTOMER_FIELDS = [
  'Workflow',
  'WorkflowState',
  'Note',
  'UserDefinedFields',
  'VerificationState',
  'Confidence',
  'Criticality',
  'RelatedFindings',
  'ProcessedAt',
];

export interface SecurityHubInput {
  report: Pick<RunReport, 'runId' | 'account' | 'region' | 'findings' | 'keys' | 'actions'>;
  /** The region's partition (aws, aws-cn, aws-us-gov, ...). */
  partition: string;
  now: Date;
  /** config.securityHub.runbookBaseUrl: the runbooks' published folder, ending in /. */
  runbookBaseUrl?: string | undefined;
  /** keyrot's findings ACTIVE in Security Hub before this run (GetFindings). */
  active: StoredFinding[];
}

export interface SecurityHubUpdate {
  productArn: string;
  /** What holds after the run: imported ACTIVE, FAILED (created or updated). */
  findings: AsffFinding[];
  /** ACTIVE findings that no longer hold: re-imported ARCHIVED, PASSED (Security Hub resolves them). */
  archived: StoredFinding[];
  /** Why nothing was archived this run, when so. */
  archiveSkipped?: string | undefined;
}

/** The account's default product: where an account's own findings go. */
export function defaultProductArn(partition: string, region: string, account: string): string {
  return `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`;
}

/** A stable id per check and subject (key, plan, API, credential or the account) in the region. */
export function findingId(region: string, check: Check, subject: string): string {
  return `keyrot/${region}/${check}/${subject}`;
}

/** What a report finding is about, most specific first; a tag makes it one per tag of the key. */
function subjectOf(f: Finding): string {
  const subject = f.keyId ?? f.usagePlanId ?? f.apiId ?? f.credential ?? 'account';
  // Another region's: a key id is unique within a region only, and a credential spans regions.
  const where = f.region === undefined ? subject : `${subject}@${f.region}`;
  return f.tag === undefined ? where : `${where}/${f.tag}`;
}

/**
 * The run's findings for Security Hub and the resolution of those that stopped holding. A finding the
 * run resolved itself (resolvedByRun) is not open; a check silenced by a key's exemption raises
 * nothing, so its finding is archived (the exemption, with its reason and end date, is on the key;
 * when it expires the same id comes back ACTIVE). `read-failed` is the run's problem, not the
 * account's, and while any read failed nothing is archived: a finding missing then may still hold.
 */
export function securityHubUpdate(input: SecurityHubInput): SecurityHubUpdate {
  const { report, partition, now } = input;
  const region = report.region;
  const account = report.account;
  if (region === null || account === null) {
    throw new Error('the run’s account and region are unknown: no Security Hub findings');
  }
  const productArn = defaultProductArn(partition, region, account);
  const at = now.toISOString();
  const stored = new Map(input.active.map((f) => [f.Id, f]));
  // The run's region's keys: a multi-region credential's keys elsewhere have rows too (their region),
  // and a key id is unique within a region only. Reports written before rows named a region: all here.
  const here = report.keys.filter((r) => (r.region ?? region) === region);
  const rows = new Map(here.map((r) => [r.keyId, r]));
  const secretOf = new Map(here.filter((r) => r.secretArn !== null).map((r) => [r.credential, r.secretArn!]));
  const activeKeyOf = new Map(here.filter((r) => r.state === 'active').map((r) => [r.credential, r.keyId]));

  const resource = (
    type: string,
    id: string,
    other?: Record<string, string>,
    where: string = region,
  ): AsffResource => ({
    Type: type,
    Id: id,
    Partition: partition,
    Region: where,
    ...(other !== undefined && { Details: { Other: other } }),
  });
  const apigw = (path: string, where: string = region) => apiGatewayArn(partition, where, path);
  const keyResource = (keyId: string, credential: string | null | undefined, where: string = region) =>
    resource(
      'Other',
      apigw(`/apikeys/${keyId}`, where),
      {
        keyId,
        ...(credential !== null && credential !== undefined && { credential }),
        ...(where !== region && { region: where }),
      },
      where,
    );
  const credentialResource = (credential: string) => {
    const secret = secretOf.get(credential);
    return secret === undefined
      ? resource('AwsAccount', `AWS::::Account:${account}`, { credential })
      : resource('AwsSecretsManagerSecret', secret, { credential });
  };
  const resourcesOf = (f: Finding): AsffResource[] => {
    if (f.keyId !== undefined) return [keyResource(f.keyId, f.credential, f.region)];
    if (f.usagePlanId !== undefined) return [resource('Other', apigw(`/usageplans/${f.usagePlanId}`))];
    if (f.apiId !== undefined) return [resource('AwsApiGatewayRestApi', apigw(`/restapis/${f.apiId}`))];
    if (f.credential !== undefined) return [credentialResource(f.credential)];
    return [resource('AwsAccount', `AWS::::Account:${account}`)];
  };

  const findings = new Map<string, AsffFinding>();
  const add = (
    check: Check,
    subject: string,
    description: string,
    resources: AsffResource[],
    severity: SeverityLabel = SECURITY_CHECKS[check].severity,
  ) => {
    const id = findingId(region, check, subject);
    if (findings.has(id)) return;
    const spec = SECURITY_CHECKS[check];
    const before = stored.get(id);
    const since = (field: string) => {
      const value = before?.[field];
      return typeof value === 'string' ? value : at;
    };
    const url = input.runbookBaseUrl === undefined ? undefined : `${input.runbookBaseUrl}${spec.runbook}`;
    const types = [PRACTICES];
    findings.set(id, {
      SchemaVersion: ASFF_SCHEMA_VERSION,
      Id: id,
      ProductArn: productArn,
      GeneratorId: `${GENERATOR_PREFIX}${check}`,
      AwsAccountId: account,
      Region: region,
      Types: types,
      CreatedAt: since('CreatedAt'),
      UpdatedAt: at,
      FirstObservedAt: since('FirstObservedAt'),
      LastObservedAt: at,
      Severity: { Label: severity },
      FindingProviderFields: { Severity: { Label: severity, Original: severity }, Types: types },
      Title: spec.title,
      // Security Hub limits a description to 1,024 characters.
      Description: description.length > 1024 ? `${description.slice(0, 1021)}...` : description,
      Remediation: {
        Recommendation: {
          Text: `${spec.remedy} Runbook: runbooks/${spec.runbook}`,
          ...(url !== undefined && { Url: url }),
        },
      },
      ProductFields: { 'keyrot/check': check, 'keyrot/runId': report.runId },
      Resources: resources,
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
    });
  };

  for (const f of report.findings) {
    const kind = f.kind;
    if (f.resolvedByRun !== undefined || kind === 'read-failed') continue;
    add(kind, subjectOf(f), f.message, resourcesOf(f), severityOf(f, rows));
  }
  for (const a of report.actions) {
    if (a.outcome !== 'failed' || (a.kind !== 'rotate' && a.kind !== 'resume-rotation')) continue;
    const credential = a.credential ?? 'unknown';
    const keyId = a.keyId ?? activeKeyOf.get(credential);
    add(
      'rotation-failed',
      credential,
      `credential ${credential}: ${a.kind} failed: ${a.error ?? 'no error recorded'} (${a.reason})`,
      keyId === undefined ? [credentialResource(credential)] : [keyResource(keyId, credential)],
    );
  }

  const readFailed = report.findings.some((f) => f.kind === 'read-failed');
  const gone = input.active.filter((f) => !findings.has(f.Id));
  const archived = readFailed ? [] : gone.map((f) => archive(f, at));
  return {
    productArn,
    findings: [...findings.values()],
    archived,
    archiveSkipped:
      readFailed && gone.length > 0
        ? `${gone.length} finding(s) no longer raised but kept ACTIVE: part of the account could not be read this run`
        : undefined,
  };
}

/** Overdue: HIGH once the current key is twice its period old (a whole rotation missed), else MEDIUM. */
function severityOf(f: Finding, rows: Map<string, RunReport['keys'][number]>): SeverityLabel | undefined {
  if (f.kind === 'quota' && f.action === 'refuse') return 'HIGH';
  if (f.kind !== 'overdue' || f.keyId === undefined || f.region !== undefined) return undefined;
  const row = rows.get(f.keyId);
  const age = row?.daysSinceRotation ?? null;
  const period = row?.periodDays ?? null;
  return age !== null && period !== null && age >= 2 * period ? 'HIGH' : 'MEDIUM';
}

/**
 * A finding that no longer holds, as the provider re-imports it: ARCHIVED and PASSED (Security Hub then
 * moves a NEW or NOTIFIED workflow to RESOLVED itself), without the customer's fields.
 */
export function archive(f: StoredFinding, at: string): StoredFinding {
  const kept = Object.fromEntries(Object.entries(f).filter(([field]) => !CUSTOMER_FIELDS.includes(field)));
  const compliance = typeof f.Compliance === 'object' && f.Compliance !== null ? f.Compliance : {};
  return {
    ...kept,
    Id: f.Id,
    UpdatedAt: at,
    RecordState: 'ARCHIVED',
    Compliance: { ...compliance, Status: 'PASSED' },
  };
}
