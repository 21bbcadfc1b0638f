import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionRow, KeyRow, RunReport } from '../../functions/core/report.js';
import {
  SECURITY_CHECKS,
  archive,
  defaultProductArn,
  findingId,
  securityHubUpdate,
  type SecurityHubInput,
  type StoredFinding,
} from '../../functions/core/security-findings.js';
import type { Finding } from '../../functions/core/types.js';

const NOW = new Date('2026-06-01T03:00:00.000Z');
const AT = NOW.toISOString();
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:keyrot/acme-AbCdEf`;

function row(spec: Partial<KeyRow> & { keyId: string }): KeyRow {
  return {
    keyName: spec.keyId,
    region: REGION,
    credential: null,
    customerId: null,
    generation: null,
    usagePlans: [],
    secretArn: null,
    currentVersion: null,
    previousVersion: null,
    state: 'unmanaged',
    enabled: true,
    policy: null,
    periodDays: null,
    disableWindowDays: null,
    createdAt: null,
    activatedAt: null,
    retiringAt: null,
    disabledAt: null,
    deletedAt: null,
    daysSinceRotation: null,
    nextRotationAt: null,
    suspendedSince: null,
    suspendReason: null,
    compliant: true,
    trigger: null,
    action: null,
    reason: null,
    outcome: null,
    error: null,
    ...spec,
  };
}

const action = (spec: Partial<ActionRow> & Pick<ActionRow, 'kind'>): ActionRow => ({
  credential: null,
  keyId: null,
  region: null,
  reason: 'due',
  outcome: 'done',
  detail: null,
  error: null,
  ...spec,
});

function input(
  findings: Finding[],
  more: Partial<Omit<SecurityHubInput, 'report'>> & {
    keys?: KeyRow[];
    actions?: ActionRow[];
    where?: Partial<Pick<RunReport, 'account' | 'region'>>;
  } = {},
): SecurityHubInput {
  return {
    report: {
      runId: 'run-1',
      account: ACCOUNT,
      region: REGION,
      ...more.where,
      findings,
      keys: more.keys ?? [],
      actions: more.actions ?? [],
    },
    partition: 'aws',
    now: NOW,
    runbookBaseUrl: more.runbookBaseUrl,
    active: more.active ?? [],
  };
}

describe('Security Hub findings from a run', () => {
  it('one ASFF finding per finding: stable id, generator, default product, resource, severity, runbook', () => {
    const out = securityHubUpdate(
      input(
        [
          { kind: 'unused', keyId: 'k1', action: 'report', message: 'key k1 (legacy) unused for 90 days' },
          { kind: 'posture-plan-unlimited', usagePlanId: 'p1', message: 'plan p1 has no throttle' },
          { kind: 'posture-authorizer-key-source', apiId: 'a1', message: 'API a1 authorizer' },
          { kind: 'secret-missing', credential: 'gone', message: 'credential gone: no secret' },
          { kind: 'credential-without-keys', credential: 'acme', message: 'acme has no keys' },
          { kind: 'quota', message: '9,500 of 10,000 keys' },
        ],
        {
          keys: [row({ keyId: 'k9', credential: 'acme', secretArn: SECRET, state: 'active' })],
          runbookBaseUrl: 'https://example.com/keyrot/runbooks/',
        },
      ),
    );
    expect(out.productArn).toBe(PRODUCT);
    expect(out.archived).toEqual([]);
    expect(out.archiveSkipped).toBeUndefined();
    const [unused, plan, api, missing, keyless, quota] = out.findings;
    expect(unused).toEqual({
      SchemaVersion: '2018-10-08',
      Id: `keyrot/${REGION}/unused/k1`,
      ProductArn: PRODUCT,
      GeneratorId: 'keyrot/unused',
      AwsAccountId: ACCOUNT,
      Region: REGION,
      Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      CreatedAt: AT,
      UpdatedAt: AT,
      FirstObservedAt: AT,
      LastObservedAt: AT,
      Severity: { Label: 'LOW' },
      FindingProviderFields: {
        Severity: { Label: 'LOW', Original: 'LOW' },
        Types: ['Software and Configuration Checks/AWS Security Best Practices'],
      },
      Title: 'API key unused',
      Description: 'key k1 (legacy) unused for 90 days',
      Remediation: {
        Recommendation: {
          Text: expect.stringContaining('Runbook: runbooks/hygiene-findings.md#unused'),
          Url: 'https://example.com/keyrot/runbooks/hygiene-findings.md#unused',
        },
      },
      ProductFields: { 'keyrot/check': 'unused', 'keyrot/runId': 'run-1' },
      Resources: [
        {
          Type: 'Other',
          Id: `arn:aws:apigateway:${REGION}::/apikeys/k1`,
          Partition: 'aws',
          Region: REGION,
          Details: { Other: { keyId: 'k1' } },
        },
      ],
      Compliance: { Status: 'FAILED' },
      RecordState: 'ACTIVE',
    });
    expect(plan?.Resources).toEqual([
      { Type: 'Other', Id: `arn:aws:apigateway:${REGION}::/usageplans/p1`, Partition: 'aws', Region: REGION },
    ]);
    expect(plan).toMatchObject({
      Id: `keyrot/${REGION}/posture-plan-unlimited/p1`,
      Severity: { Label: 'MEDIUM' },
    });
    expect(api?.Resources[0]).toMatchObject({
      Type: 'AwsApiGatewayRestApi',
      Id: `arn:aws:apigateway:${REGION}::/restapis/a1`,
    });
    // A credential: its secret when the run saw it, else the account.
    expect(missing?.Resources[0]).toMatchObject({
      Type: 'AwsAccount',
      Id: `AWS::::Account:${ACCOUNT}`,
      Details: { Other: { credential: 'gone' } },
    });
    expect(keyless?.Resources[0]).toMatchObject({ Type: 'AwsSecretsManagerSecret', Id: SECRET });
    expect(quota).toMatchObject({ Id: `keyrot/${REGION}/quota/account`, Severity: { Label: 'MEDIUM' } });
    expect(quota?.Resources[0]).toEqual({
      Type: 'AwsAccount',
      Id: `AWS::::Account:${ACCOUNT}`,
      Partition: 'aws',
      Region: REGION,
    });
  });

  it('without a runbook base URL the remediation names the runbook in its text only', () => {
    const [f] = securityHubUpdate(
      input([{ kind: 'orphaned', keyId: 'k1', message: 'k1 in no plan' }]),
    ).findings;
    expect(f?.Remediation.Recommendation).toEqual({
      Text: expect.stringMatching(/Runbook: runbooks\/hygiene-findings\.md#orphaned$/),
    });
  });

  it('leaves out what the run resolved itself and the run’s own read failures', () => {
    const out = securityHubUpdate(
      input([
        { kind: 'unused', keyId: 'k1', action: 'disable', message: 'unused', resolvedByRun: 'disable-key' },
        { kind: 'overdue', keyId: 'k2', credential: 'c', message: 'overdue', resolvedByRun: 'rotate' },
        { kind: 'lingering', keyId: 'k3', message: 'lingering' },
      ]),
    );
    expect(out.findings.map((f) => f.Id)).toEqual([`keyrot/${REGION}/lingering/k3`]);
  });

  it('failed rotations: one per credential, on its current key, its secret or the account', () => {
    const out = securityHubUpdate(
      input([], {
        keys: [
          row({ keyId: 'b1', credential: 'b', state: 'active', secretArn: SECRET }),
          row({ keyId: 'b0', credential: 'b', state: 'retiring' }),
          row({ keyId: 'c1', credential: 'c', state: 'retiring', secretArn: SECRET }),
        ],
        actions: [
          action({ kind: 'rotate', credential: 'a', keyId: 'a1', outcome: 'failed', error: 'Err: boom' }),
          action({ kind: 'resume-rotation', credential: 'b', outcome: 'failed' }),
          action({ kind: 'resume-rotation', credential: 'c', outcome: 'failed', error: 'Err: x' }),
          action({ kind: 'rotate', credential: null, outcome: 'failed', error: 'Err: y' }),
          action({ kind: 'rotate', credential: 'd', keyId: 'd1', outcome: 'done' }),
          action({ kind: 'disable-key', keyId: 'e1', outcome: 'failed', error: 'Err: z' }),
          // A second failure of the same credential is the same finding.
          action({ kind: 'rotate', credential: 'a', keyId: 'a1', outcome: 'failed', error: 'Err: again' }),
        ],
      }),
    );
    expect(out.findings.map((f) => [f.Id, f.GeneratorId, f.Severity.Label, f.Resources[0]?.Id])).toEqual([
      [
        `keyrot/${REGION}/rotation-failed/a`,
        'keyrot/rotation-failed',
        'HIGH',
        `arn:aws:apigateway:${REGION}::/apikeys/a1`,
      ],
      [
        `keyrot/${REGION}/rotation-failed/b`,
        'keyrot/rotation-failed',
        'HIGH',
        `arn:aws:apigateway:${REGION}::/apikeys/b1`,
      ],
      [`keyrot/${REGION}/rotation-failed/c`, 'keyrot/rotation-failed', 'HIGH', SECRET],
      [
        `keyrot/${REGION}/rotation-failed/unknown`,
        'keyrot/rotation-failed',
        'HIGH',
        `AWS::::Account:${ACCOUNT}`,
      ],
    ]);
    expect(out.findings[0]?.Description).toBe('credential a: rotate failed: Err: boom (due)');
    expect(out.findings[1]?.Description).toBe(
      'credential b: resume-rotation failed: no error recorded (due)',
    );
    expect(out.findings[0]?.Remediation.Recommendation.Text).toContain('runbooks/KeyRotationFailed.md');
  });

  it('severity: overdue is HIGH once the key is twice its period old, a refused rotation (quota) HIGH', () => {
    const overdue = (keyId: string): Finding => ({
      kind: 'overdue',
      keyId,
      credential: keyId,
      message: 'overdue',
    });
    const out = securityHubUpdate(
      input(
        [
          overdue('late'),
          overdue('very-late'),
          overdue('no-row'),
          overdue('no-period'),
          { kind: 'overdue', credential: 'x', message: 'no key' },
          { kind: 'quota', credential: 'q', action: 'refuse', message: 'refused' },
        ],
        {
          keys: [
            row({
              keyId: 'late',
              credential: 'late',
              state: 'active',
              daysSinceRotation: 120,
              periodDays: 90,
            }),
            row({
              keyId: 'very-late',
              credential: 'very-late',
              state: 'active',
              daysSinceRotation: 180,
              periodDays: 90,
            }),
            row({ keyId: 'no-period', credential: 'no-period', state: 'active', daysSinceRotation: 400 }),
          ],
        },
      ),
    );
    expect(out.findings.map((f) => [f.Id.split('/').slice(2).join('/'), f.Severity.Label])).toEqual([
      ['overdue/late', 'MEDIUM'],
      ['overdue/very-late', 'HIGH'],
      ['overdue/no-row', 'MEDIUM'],
      ['overdue/no-period', 'MEDIUM'],
      ['overdue/x', 'MEDIUM'],
      ['quota/q', 'HIGH'],
    ]);
  });

  it('a tag makes one finding per tag of a key; the same subject twice is one finding', () => {
    const out = securityHubUpdate(
      input([
        { kind: 'malformed-tag', keyId: 'k1', tag: 'rotation:created-at', message: 'bad date' },
        { kind: 'malformed-tag', keyId: 'k1', tag: 'rotation:generation', message: 'bad number' },
        { kind: 'malformed-tag', keyId: 'k1', tag: 'rotation:generation', message: 'bad again' },
      ]),
    );
    expect(out.findings.map((f) => [f.Id, f.Description])).toEqual([
      [`keyrot/${REGION}/malformed-tag/k1/rotation:created-at`, 'bad date'],
      [`keyrot/${REGION}/malformed-tag/k1/rotation:generation`, 'bad number'],
    ]);
  });

  it('keeps the first observation of a finding still active, and cuts a description at 1,024 characters', () => {
    const id = findingId(REGION, 'unused', 'k1');
    const stored: StoredFinding = {
      Id: id,
      CreatedAt: '2026-01-02T03:00:00.000Z',
      FirstObservedAt: '2026-01-02T03:00:00.000Z',
    };
    const other: StoredFinding = { Id: findingId(REGION, 'orphaned', 'k1'), CreatedAt: 7 };
    const [unused, orphaned] = securityHubUpdate(
      input(
        [
          { kind: 'unused', keyId: 'k1', message: 'x'.repeat(2000) },
          { kind: 'orphaned', keyId: 'k1', message: 'orphaned' },
        ],
        { active: [stored, other] },
      ),
    ).findings;
    expect(unused).toMatchObject({
      CreatedAt: '2026-01-02T03:00:00.000Z',
      FirstObservedAt: '2026-01-02T03:00:00.000Z',
      UpdatedAt: AT,
      LastObservedAt: AT,
    });
    expect(unused?.Description).toHaveLength(1024);
    expect(unused?.Description.endsWith('...')).toBe(true);
    expect(orphaned?.CreatedAt).toBe(AT);
  });

  it('archives what no longer holds: ARCHIVED and PASSED, without the customer’s fields', () => {
    const gone: StoredFinding = {
      Id: findingId(REGION, 'unused', 'old'),
      ProductArn: PRODUCT,
      Title: 'API key unused',
      CreatedAt: '2026-01-02T03:00:00.000Z',
      Compliance: { Status: 'FAILED', RelatedRequirements: ['x'] },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NOTIFIED' },
      WorkflowState: 'NEW',
      Note: { Text: 'ticket 42' },
      UserDefinedFields: { owner: 'team' },
    };
    const still: StoredFinding = { Id: findingId(REGION, 'unused', 'k1') };
    const out = securityHubUpdate(
      input([{ kind: 'unused', keyId: 'k1', message: 'unused' }], { active: [gone, still] }),
    );
    expect(out.findings.map((f) => f.Id)).toEqual([still.Id]);
    expect(out.archived).toEqual([
      {
        Id: gone.Id,
        ProductArn: PRODUCT,
        Title: 'API key unused',
        CreatedAt: '2026-01-02T03:00:00.000Z',
        Compliance: { Status: 'PASSED', RelatedRequirements: ['x'] },
        RecordState: 'ARCHIVED',
        UpdatedAt: AT,
      },
    ]);
    expect(archive({ Id: 'x' }, AT)).toEqual({
      Id: 'x',
      UpdatedAt: AT,
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
    });
  });

  it('archives nothing while part of the account could not be read, and says so', () => {
    const gone: StoredFinding = { Id: findingId(REGION, 'unused', 'old') };
    const out = securityHubUpdate(
      input([{ kind: 'read-failed', message: 'GetUsage failed' }], { active: [gone] }),
    );
    expect(out.findings).toEqual([]);
    expect(out.archived).toEqual([]);
    expect(out.archiveSkipped).toMatch(/1 finding\(s\) no longer raised but kept ACTIVE/);
    expect(securityHubUpdate(input([{ kind: 'read-failed', message: 'x' }])).archiveSkipped).toBeUndefined();
  });

  it('needs the run’s account and region', () => {
    expect(() => securityHubUpdate(input([], { where: { account: null } }))).toThrow(/account and region/);
    expect(() => securityHubUpdate(input([], { where: { region: null } }))).toThrow(/account and region/);
  });

  it('the default product ARN is per partition, region and account', () => {
    expect(defaultProductArn('aws-cn', 'cn-north-1', ACCOUNT)).toBe(
      `arn:aws-cn:securityhub:cn-north-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    );
  });

  it('every check’s runbook exists, with its section', () => {
    const runbooks = join(import.meta.dirname, '../../runbooks');
    for (const [check, spec] of Object.entries(SECURITY_CHECKS)) {
      const [file, anchor] = spec.runbook.split('#');
      const text = readFileSync(join(runbooks, file!), 'utf8');
      if (anchor !== undefined)
        expect({ check, heading: text.includes(`\n## ${anchor}\n`) }).toEqual({ check, heading: true });
    }
  });
});
