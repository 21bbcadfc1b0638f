import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKeyRotation, ReportStore } from '../../infra/api-key-rotation.js';
import { EXAMPLE_ORGANIZATION } from '../../infra/organization/example-config.js';
import { HISTORY_QUERIES } from '../../infra/organization/history-queries.js';
import { HISTORY_COLUMNS } from '../../infra/organization/history-table.js';
import { createOrganizationApp } from '../../infra/organization/organization-app.js';
import { KeyrotOrganizationStack } from '../../infra/organization/organization-stack.js';
import {
  acknowledgements,
  flat,
  onPath,
  resourcesOf,
  roleStatements,
  shortId,
  synth,
  type CfnResource,
} from './synth.js';

// StackSets stage the functions' code as assets of their parent stack: they are bundled, never skipped.
const SKIP_BUNDLING = {};
// Every app of this file synthesizes into this one directory: CDK stages a bundle once per process and
// output directory (its asset cache is keyed by both), so each function is bundled once for the file.
const OUT = mkdtempSync(join(tmpdir(), 'keyrot-org-synth-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** The example organization app (infra/organization-app.ts). */
function organization(nag = false) {
  return createOrganizationApp(EXAMPLE_ORGANIZATION, { context: SKIP_BUNDLING, nag, outdir: OUT });
}

let example: ReturnType<typeof organization> | undefined;
/** One example app for the tests that only read it: its synth bundles the functions of every StackSet. */
const sharedOrganization = () => (example ??= organization());

type CfnTemplate = {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, unknown>;
  Rules?: unknown;
};

/** A StackSet's template as the app writes it (a StackSetStack is an asset of its parent, not an artifact). */
function stackSetTemplate(app: App, org: KeyrotOrganizationStack, name: string): CfnTemplate {
  const assembly = app.synth();
  return JSON.parse(
    readFileSync(join(assembly.directory, org.templates[name]!.templateFile), 'utf8'),
  ) as CfnTemplate;
}

const byType = (t: CfnTemplate, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

describe('the organization app: StackSets with service-managed permissions', () => {
  const { app, organization: org, assetBuckets, history } = sharedOrganization();
  const template = Template.fromStack(org);
  const production = stackSetTemplate(app, org, 'production');
  const sandbox = stackSetTemplate(app, org, 'sandbox');

  it('one StackSet per deployment: service-managed, deploying to accounts that join its OUs, in its regions', () => {
    const stackSets = resourcesOf(template, 'AWS::CloudFormation::StackSet').map(([, r]) => r.Properties);
    expect(stackSets).toHaveLength(2);
    expect(stackSets.map((p) => ({ ...p, TemplateURL: undefined }))).toEqual([
      {
        StackSetName: 'keyrot-production',
        Description: expect.stringContaining('production'),
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        CallAs: 'SELF',
        Capabilities: ['CAPABILITY_IAM'],
        ManagedExecution: { Active: true },
        OperationPreferences: {
          FailureTolerancePercentage: 10,
          MaxConcurrentPercentage: 25,
          RegionConcurrencyType: 'PARALLEL',
        },
        StackInstancesGroup: [
          {
            DeploymentTargets: {
              AccountFilterType: 'NONE',
              OrganizationalUnitIds: ['ou-ab12-prod0001', 'ou-ab12-prod0002'],
            },
            Regions: ['us-east-1', 'eu-west-1'],
          },
        ],
        TemplateURL: undefined,
      },
      expect.objectContaining({
        StackSetName: 'keyrot-sandbox',
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        OperationPreferences: expect.objectContaining({
          FailureTolerancePercentage: 50,
          MaxConcurrentPercentage: 100,
        }),
        StackInstancesGroup: [
          {
            DeploymentTargets: { AccountFilterType: 'NONE', OrganizationalUnitIds: ['ou-ab12-sandbox1'] },
            Regions: ['us-east-1'],
          },
        ],
      }),
    ]);
  });

  it('a delegated administrator calls as DELEGATED_ADMIN; retained stacks on account removal when asked', () => {
    const app2 = new App({ context: SKIP_BUNDLING, outdir: OUT });
    const delegated = new KeyrotOrganizationStack(app2, 'Delegated', {
      env: { account: '333333333333', region: 'us-east-1' },
      assetBucketPrefix: 'acme-keyrot-assets',
      delegatedAdmin: true,
      retainStacksOnAccountRemoval: true,
      deployments: [{ name: 'all', organizationalUnits: ['r-ab12'], regions: ['us-east-1'] }],
    });
    Template.fromStack(delegated).hasResourceProperties('AWS::CloudFormation::StackSet', {
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
    });
  });

  it('refuses props it cannot deploy, naming every problem', () => {
    expect(
      () =>
        new KeyrotOrganizationStack(new App(), 'Bad', {
          assetBucketPrefix: 'Acme_Assets',
          deployments: [
            { name: 'prod', organizationalUnits: ['prod-ou'], regions: ['mars-1'] },
            {
              name: 'prod',
              organizationalUnits: [],
              regions: ['us-east-1'],
              operationPreferences: { maxConcurrentPercentage: 0 },
            },
          ],
        }),
    ).toThrow(
      /assetBucketPrefix.*organizationalUnits: "prod-ou".*regions: "mars-1".*name: prod is used twice.*organizationalUnits: at least one.*maxConcurrentPercentage/,
    );
  });

  it('the stack instances need no CDK bootstrap: no bootstrap parameter or rule, code from the region bucket of the organization', () => {
    for (const t of [production, sandbox]) {
      expect(t.Parameters ?? {}).toEqual({});
      expect(t.Rules).toBeUndefined();
      expect(JSON.stringify(t)).not.toMatch(/cdk-hnb659fds|BootstrapVersion/);
      const codes = byType(t, 'AWS::Lambda::Function').map(
        ([, r]) => flat(r.Properties.Code) as Record<string, string>,
      );
      expect(codes).toHaveLength(2);
      for (const code of codes) expect(code.S3Bucket).toBe('acme-keyrot-assets-111111111111-${AWS::Region}');
    }
  });

  it("each region's bucket receives exactly the objects the instances' functions name, before the StackSet runs", () => {
    const keys = byType(production, 'AWS::Lambda::Function')
      .map(([, r]) => (r.Properties.Code as { S3Key: string }).S3Key)
      .sort();
    const deployments = resourcesOf(template, 'Custom::CDKBucketDeployment');
    const production_ = deployments.filter(([id]) => id.includes('production'));
    expect(production_.map(([, r]) => r.Properties.DestinationBucketName).sort()).toEqual([
      'acme-keyrot-assets-111111111111-eu-west-1',
      'acme-keyrot-assets-111111111111-us-east-1',
    ]);
    for (const [, r] of production_) {
      expect([...(r.Properties.SourceObjectKeys as string[])].sort()).toEqual(keys);
      expect(r.Properties.Extract).toBe(false);
      expect(r.Properties.Prune).toBe(false);
    }
    const stackSet = resourcesOf(template, 'AWS::CloudFormation::StackSet').find(([id]) =>
      id.includes('production'),
    )!;
    const dependsOn = (template.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> })
      .Resources[stackSet[0]]!.DependsOn;
    for (const [id] of production_) expect(dependsOn).toContain(id);
    // The buckets are bootstrapped by the app, one stack per region, before the StackSets.
    expect(assetBuckets.map((s) => s.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(org.dependencies.map((d) => d.stackName).sort()).toEqual(
      assetBuckets.map((s) => s.stackName).sort(),
    );
  });

  it('per-OU configuration through the typed props: each StackSet template carries its own', () => {
    const config = (t: CfnTemplate) => {
      const fn = byType(t, 'AWS::Lambda::Function').find(([id]) => shortId(id).startsWith('Reconciler'))!;
      const env = (fn[1].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      return JSON.stringify(env.KEYROT_CONFIG);
    };
    expect(config(production)).toContain('\\"defaultPolicy\\":\\"30d\\"');
    expect(config(sandbox)).toContain('\\"defaultPolicy\\":\\"90d\\"');
    const retention = (t: CfnTemplate) =>
      byType(t, 'AWS::S3::Bucket')
        .map(
          ([, r]) =>
            r.Properties.ObjectLockConfiguration as { Rule?: { DefaultRetention: unknown } } | undefined,
        )
        .find((c) => c !== undefined)?.Rule?.DefaultRetention;
    expect(retention(production)).toEqual({ Mode: 'COMPLIANCE', Days: 400 });
    expect(retention(sandbox)).toEqual({ Mode: 'GOVERNANCE', Days: 90 });
    // The outputs the runbooks ask for, as the one-account stack has them.
    expect(Object.keys((production as { Outputs?: object }).Outputs ?? {})).toContain('ReportBucketName');
  });

  it("every account's report store replicates to the central history", () => {
    for (const t of [production, sandbox]) {
      const bucket = byType(t, 'AWS::S3::Bucket').find(
        ([, r]) => r.Properties.ReplicationConfiguration !== undefined,
      );
      expect(bucket).toBeDefined();
      expect(flat(bucket![1].Properties.ReplicationConfiguration)).toMatchObject({
        Rules: [
          {
            Destination: {
              Bucket: 'arn:aws:s3:::acme-keyrot-history-222222222222',
              Account: '222222222222',
              AccessControlTranslation: { Owner: 'Destination' },
            },
            Filter: { Prefix: 'runs/' },
            Status: 'Enabled',
          },
        ],
      });
    }
    expect(history).toBeDefined();
  });
});

describe('the central history (log-archive account)', () => {
  const { history } = sharedOrganization();
  const template = Template.fromStack(history!);

  it('a bucket with versioning, Object Lock, encryption, TLS only, owned replicas', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'acme-keyrot-history-222222222222',
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it("its policy lets the organization's replication roles write replicas under runs/, and requires TLS", () => {
    const policies = resourcesOf(template, 'AWS::S3::BucketPolicy').filter(
      ([, p]) =>
        flat(p.Properties.Bucket) === '${History}' || JSON.stringify(p.Properties.Bucket).includes('History'),
    );
    expect(policies).toHaveLength(1);
    const statements = (
      flat(policies[0]![1].Properties.PolicyDocument) as { Statement: Record<string, unknown>[] }
    ).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        {
          Sid: 'ReplicasFromTheOrganization',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
          Resource: '${History.Arn}/runs/*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        },
        expect.objectContaining({
          Sid: 'ReplicationChecksTheDestination',
          Resource: '${History.Arn}',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        }),
      ]),
    );
  });

  it('a Glue table over the JSON reports, projected on runs/YYYY/MM/DD/json/', () => {
    const [[, table]] = resourcesOf(template, 'AWS::Glue::Table') as [[string, CfnResource]];
    const input = flat(table.Properties.TableInput) as Record<string, unknown>;
    expect(input).toMatchObject({
      Name: 'run_reports',
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'day', Type: 'string' }],
      Parameters: {
        classification: 'json',
        'projection.enabled': 'true',
        'projection.day.type': 'date',
        'projection.day.format': 'yyyy/MM/dd',
        'projection.day.range': '2026/01/01,NOW',
        'projection.day.interval': '1',
        'projection.day.interval.unit': 'DAYS',
        'storage.location.template': 's3://${History}/runs/${day}/json/',
      },
      StorageDescriptor: {
        Location: 's3://${History}/runs/',
        SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
      },
    });
    const columns = (input.StorageDescriptor as { Columns: { Name: string; Type: string }[] }).Columns;
    expect(columns.map((c) => c.Name)).toEqual(HISTORY_COLUMNS.map((c) => c.name.toLowerCase()));
    expect(columns.find((c) => c.Name === 'findings')!.Type).toContain('exemptuntil:string');
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'keyrot_history' } });
  });

  it('an Athena workgroup with an encrypted results location, and the four named queries from the one source', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'keyrot-audit',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
    const named = resourcesOf(template, 'AWS::Athena::NamedQuery').map(([, r]) => r.Properties);
    expect(named.map((q) => ({ name: q.Name, sql: q.QueryString, database: q.Database }))).toEqual(
      Object.values(HISTORY_QUERIES).map((q) => ({ name: q.name, sql: q.sql, database: 'keyrot_history' })),
    );
  });
});

describe('ReportStore replication', () => {
  const TARGET = {
    destinationBucketArn: 'arn:aws:s3:::acme-keyrot-history',
    destinationAccount: '222222222222',
    destinationKmsKeyArn: 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  };
  const build = (replication?: typeof TARGET) => {
    const app = new App({ context: SKIP_BUNDLING, outdir: OUT });
    const stack = new Stack(app, 'Platform');
    new ApiKeyRotation(stack, 'ApiKeyRotation', {
      reportBucket: { ...(replication !== undefined && { replication }) },
    });
    return Template.fromStack(stack);
  };

  it('none unless configured', () => {
    const template = build();
    for (const [, b] of resourcesOf(template, 'AWS::S3::Bucket'))
      expect(b.Properties.ReplicationConfiguration).toBeUndefined();
    expect(resourcesOf(template, 'AWS::IAM::Role').map(([id]) => shortId(id))).not.toContain(
      'ReportsReplicationRole',
    );
  });

  it('a rule for all of runs/, owner override, the destination key; a role that reads the lock and writes replicas', () => {
    const template = build(TARGET);
    const [, bucket] = resourcesOf(template, 'AWS::S3::Bucket').find(
      ([, b]) => b.Properties.ReplicationConfiguration,
    )!;
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(flat(bucket.Properties.ReplicationConfiguration)).toEqual({
      Role: '${ReportsReplicationRole.Arn}',
      Rules: [
        {
          Id: 'keyrot-runs-to-central-history',
          Priority: 1,
          Status: 'Enabled',
          Filter: { Prefix: 'runs/' },
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: {
            Bucket: TARGET.destinationBucketArn,
            Account: TARGET.destinationAccount,
            AccessControlTranslation: { Owner: 'Destination' },
            EncryptionConfiguration: { ReplicaKmsKeyID: TARGET.destinationKmsKeyArn },
          },
        },
      ],
    });
    const [, role] = resourcesOf(template, 'AWS::IAM::Role').find(
      ([id]) => shortId(id) === 'ReportsReplicationRole',
    )!;
    expect(flat(role.Properties.AssumeRolePolicyDocument)).toMatchObject({
      Statement: [
        {
          Principal: { Service: 's3.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' } },
        },
      ],
    });
    const statements = roleStatements(template, 'ReportsReplicationRole');
    expect(statements.map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      ['ReadReplicationConfiguration', ['s3:GetReplicationConfiguration', 's3:ListBucket'], '${Reports.Arn}'],
      [
        'ReadReportsWithTheirLock',
        [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        '${Reports.Arn}/runs/*',
      ],
      [
        'WriteReplicasOwnedByTheDestination',
        ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
        'arn:aws:s3:::acme-keyrot-history/runs/*',
      ],
      ['EncryptReplicas', ['kms:Encrypt', 'kms:GenerateDataKey'], TARGET.destinationKmsKeyArn],
    ]);
  });

  it('the one-account app takes it from cdk.json context (keyrot:reportBucket.replication)', () => {
    const { template } = synth({
      'keyrot:reportBucket': {
        replication: {
          destinationBucketArn: TARGET.destinationBucketArn,
          destinationAccount: '222222222222',
        },
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: Match.objectLike({
        Rules: [Match.objectLike({ Destination: Match.objectLike({ Bucket: TARGET.destinationBucketArn }) })],
      }),
    });
  });

  it('refuses a destination it cannot replicate to', () => {
    const stack = new Stack(new App(), 'S');
    expect(
      () =>
        new ReportStore(stack, 'Reports', {
          replication: { destinationBucketArn: 'acme-history', destinationAccount: '2222' },
        }),
    ).toThrow(
      /replication.destinationBucketArn: a bucket ARN.*replication.destinationAccount: a 12-digit account id/,
    );
  });
});

describe('cdk-nag (AwsSolutions) on the organization app', () => {
  it('synth reports no unacknowledged finding', () => {
    expect(() => organization(true).app.synth()).not.toThrow();
  });

  it('every finding is acknowledged where it arises, with a reason; none is stale', () => {
    const { app } = sharedOrganization();
    const pack = new AwsSolutionsChecks();
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = pack
      .validateScope(app)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })),
      );
    const acks = acknowledgements(app);
    const under = (path: string, scope: string) => path === scope || path.startsWith(`${scope}/`);
    expect(findings.filter((f) => !acks.some((a) => a.id === f.rule && under(f.path, a.path)))).toEqual([]);
    expect(acks.filter((a) => !findings.some((f) => f.rule === a.id && under(f.path, a.path)))).toEqual([]);
    for (const a of acks) expect({ ...a, reason: a.reason.length >= 30 }).toEqual({ ...a, reason: true });
  });
});

describe('cfn-lint on the organization templates (bundled as `cdk synth` does)', () => {
  const out = OUT;

  it('reports no error on the StackSet, StackSet instance, history and asset bucket templates', (context) => {
    if (!onPath('cfn-lint'))
      context.skip('cfn-lint is not installed (pip install cfn-lint); CI runs this check');
    const { app, organization: org } = createOrganizationApp(EXAMPLE_ORGANIZATION, {
      outdir: out,
      nag: false,
    });
    app.synth();
    const files = [
      'KeyrotOrganization.template.json',
      'KeyrotHistory.template.json',
      'KeyrotAssets-us-east-1.template.json',
      ...Object.values(org.templates).map((t) => t.templateFile),
    ];
    // One cfn-lint for all of them: it spends most of its time loading its schemas.
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', ...files.map((f) => join(out, f))], {
      encoding: 'utf8',
    });
    for (const file of files) {
      const errors = lint.stdout
        .split('\n')
        .filter((line) => line.startsWith(join(out, file)) && /:E\d{4}:/.test(line));
      expect({ file, errors }).toEqual({ file, errors: [] });
    }
    // 0: nothing found; 4: warnings only (any error is 2, or another bit with it).
    expect({ status: lint.status, stderr: lint.stderr }).toMatchObject({ status: expect.toBeOneOf([0, 4]) });
  });
});
