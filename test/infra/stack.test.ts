import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ALARMS } from '../../infra/alarms.js';
import type { ApiKeyRotationProps } from '../../infra/api-key-rotation.js';
import { KeyrotStack } from '../../infra/keyrot-stack.js';

const ROOT = join(import.meta.dirname, '../..');

/** Synthesizes the stack; bundling is skipped here (npm run synth bundles for real). */
function synth(rotation: ApiKeyRotationProps = {}, nag = false) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new KeyrotStack(app, 'Keyrot', { rotation });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: Template.fromStack(stack) };
}

const { template } = synth({
  alarmEmail: 'oncall@example.com',
  consumers: [{ credential: 'partner-acme', principalArn: 'arn:aws:iam::111122223333:role/partner-app' }],
});
const resources = (type: string) =>
  Object.values(template.findResources(type)) as { Properties: Record<string, any> }[]; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the schedule', () => {
  it('runs the reconciler daily through EventBridge Scheduler, with a time zone, a flexible window, retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reconciler'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetters'), 'Arn'] } },
      },
    });
  });
});

describe('the functions', () => {
  it('newest Node.js runtime, ARM64, explicit log groups with retention; the reconciler never overlaps itself', () => {
    for (const fn of resources('AWS::Lambda::Function')) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('reconciler'),
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetters'), 'Arn'] } },
    });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 365 }, 2);
  });

  it('the rotation function is wired as the secrets rotation Lambda: Secrets Manager may invoke it, the reconciler names it', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('RotationFunction'), 'Arn'] },
    });
    const config = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('reconciler'),
      Environment: {
        Variables: { KEYROT_CONFIG: config, REPORT_BUCKET: { Ref: Match.stringLikeRegexp('Reports') } },
      },
    });
    const joined = JSON.stringify(config.asObject());
    expect(joined).toContain('rotationLambdaArn');
    expect(joined).toMatch(/RotationFunction[A-Z0-9]+","Arn"/);
  });

  it('a bad policy fails synth with a message naming the field', () => {
    expect(() =>
      synth({
        config: {
          policies: { weekly: { periodDays: 7, graceDays: 1, disableWindowDays: 1 } },
          defaultPolicy: 'weekly',
        },
      }),
    ).toThrow(/policies\.weekly\.periodDays: periodDays must be 30, 60 or 90/);
  });
});

describe('alarms', () => {
  const alarms = resources('AWS::CloudWatch::Alarm');
  const expected: Record<string, { threshold: number; comparison: string; missing: string }> = {
    [ALARMS.keyRotationFailed]: {
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
    [ALARMS.keysOverdue]: {
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
    [ALARMS.runMissing]: { threshold: 1, comparison: 'LessThanThreshold', missing: 'breaching' },
    [ALARMS.quotaNearLimit]: {
      threshold: 90,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
    [ALARMS.reconcilerErrors]: {
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
    [ALARMS.rotationFunctionErrors]: {
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
    [ALARMS.deadLetterQueue]: {
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      missing: 'notBreaching',
    },
  };

  it('one per failure mode, each with its threshold', () => {
    const got = Object.fromEntries(
      alarms.map((a) => [
        a.Properties.AlarmName,
        {
          threshold: a.Properties.Threshold,
          comparison: a.Properties.ComparisonOperator,
          missing: a.Properties.TreatMissingData,
        },
      ]),
    );
    expect(got).toEqual(expected);
  });

  it('every alarm notifies the topic and its description ends with a runbook that exists, named after it', () => {
    for (const a of alarms) {
      const name = a.Properties.AlarmName as string;
      expect(a.Properties.AlarmDescription).toMatch(new RegExp(`Runbook: runbooks/${name}\\.md$`));
      expect({ name, exists: existsSync(join(ROOT, 'runbooks', `${name}.md`)) }).toEqual({
        name,
        exists: true,
      });
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/Alarms/) }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('a dashboard shows the rotation and hygiene metrics', () => {
    const body = JSON.stringify(resources('AWS::CloudWatch::Dashboard')[0]?.Properties.DashboardBody);
    for (const metric of [
      'KeysRotated',
      'RotationFailures',
      'KeysDisabled',
      'KeysDeleted',
      'UnusedKeys',
      'OrphanedKeys',
      'OverdueKeys',
      'KeyQuotaUsedPercent',
      'RunCompleted',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('the report bucket', () => {
  it('is versioned, object-locked, encrypted, private and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'reports/' }),
    });
    const policies = resources('AWS::S3::BucketPolicy');
    expect(policies.length).toBeGreaterThanOrEqual(2);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('retention and lock mode are settings', () => {
    const t = synth({ reportBucket: { retentionDays: 2555, lockMode: 'COMPLIANCE' } }).template;
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
  });
});

describe('consumers in other accounts', () => {
  it('read only their own secret: a resource policy on it, and a KMS grant conditioned on that secret', () => {
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: 'keyrot/partner-acme',
      BlockPublicPolicy: true,
      ResourcePolicy: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { AWS: 'arn:aws:iam::111122223333:role/partner-app' },
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          }),
        ],
      }),
    });
    const keyPolicy = JSON.stringify(resources('AWS::KMS::Key')[0]?.Properties.KeyPolicy);
    expect(keyPolicy).toContain('arn:aws:iam::111122223333:role/partner-app');
    expect(keyPolicy).toContain('kms:EncryptionContext:SecretARN');
  });
});

describe('least privilege', () => {
  const ALLOWED = new Set([
    'apigateway:GET',
    'apigateway:POST',
    'apigateway:PATCH',
    'apigateway:DELETE',
    'apigateway:PUT',
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetSecretValue',
    'secretsmanager:PutSecretValue',
    'secretsmanager:UpdateSecretVersionStage',
    'secretsmanager:RotateSecret',
    'secretsmanager:CreateSecret',
    'secretsmanager:TagResource',
    'secretsmanager:ListSecrets',
    'cloudwatch:PutMetricData',
    'events:PutEvents',
    's3:PutObject',
    'kms:Decrypt',
    'kms:GenerateDataKey',
    'kms:DescribeKey',
    'lambda:InvokeFunction',
    // The reconciler's dead-letter queue for failed asynchronous invocations.
    'sqs:SendMessage',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ]);
  const functionPolicies = resources('AWS::IAM::Policy').filter((p) =>
    JSON.stringify(p.Properties.Roles).match(/ReconcilerRole|RotationFunctionRole/),
  );
  type Statement = { Action: unknown; Resource: unknown; Condition?: unknown };
  const statements = functionPolicies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);

  it('no action outside the list; no managed policies', () => {
    expect(functionPolicies).toHaveLength(2);
    const actions = statements.flatMap((s) => list(s.Action) as string[]);
    expect(actions.filter((a) => !ALLOWED.has(a))).toEqual([]);
    for (const role of resources('AWS::IAM::Role').filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    )) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('API Gateway only on /apikeys, /usageplans, their tags, and read-only on /restapis', () => {
    for (const s of statements.filter((st) =>
      list(st.Action).some((a: string) => a.startsWith('apigateway:')),
    )) {
      for (const r of list(s.Resource)) {
        const path = JSON.stringify(r).match(/::(\/[a-z]+)/)?.[1];
        expect(['/apikeys', '/usageplans', '/tags', '/restapis']).toContain(path);
        if (path === '/restapis') expect(list(s.Action)).toEqual(['apigateway:GET']);
      }
    }
  });

  it('Secrets Manager only on the secret prefix (ListSecrets aside); PutMetricData only in the namespace; * nowhere else', () => {
    for (const s of statements) {
      const resourcesOf = list(s.Resource).map((r) => JSON.stringify(r));
      if (resourcesOf.includes('"*"')) {
        expect(list(s.Action)).toSatisfy((a: string[]) =>
          a.every((x) => x === 'secretsmanager:ListSecrets' || x === 'cloudwatch:PutMetricData'),
        );
        if (list(s.Action).includes('cloudwatch:PutMetricData')) {
          expect(s.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'KeyRotation' } });
        }
        continue;
      }
      if (list(s.Action).some((a: string) => a.startsWith('secretsmanager:'))) {
        for (const r of resourcesOf) expect(r).toContain(':secret:keyrot/*');
      }
    }
  });
});

describe('cdk-nag and cfn-lint', () => {
  it('cdk-nag (AwsSolutions) reports no unacknowledged finding', () => {
    const { app } = synth({ alarmEmail: 'oncall@example.com' }, true);
    expect(() => app.synth()).not.toThrow();
  });

  const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;
  it.skipIf(!cfnLint && process.env.CI !== 'true')(
    'cfn-lint reports no error on the synthesized template',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'keyrot-cfn-'));
      const file = join(dir, 'Keyrot.template.json');
      writeFileSync(file, JSON.stringify(template.toJSON()));
      const out = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
      const errors = out.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
      expect(errors).toEqual([]);
    },
  );
});
