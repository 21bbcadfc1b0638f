import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { METRIC } from '../../functions/core/metrics.js';
import { COUNTED } from '../../functions/core/checks/registry.js';
import { ALARMS } from '../../infra/alarms.js';
import { ApiKeyRotation, type ApiKeyRotationProps } from '../../infra/api-key-rotation.js';
import {
  ROOT,
  allows,
  flat,
  list,
  resourcesOf,
  roleStatements,
  shortId,
  synth,
  type Statement,
} from './synth.js';

const PARTNER = 'arn:aws:iam::111122223333:role/partner-app';
// The deployment of cdk.json, with the optional parts switched on.
const { template } = synth({
  'keyrot:alarmEmail': 'oncall@example.com',
  'keyrot:consumers': [{ credential: 'partner-acme', principalArn: PARTNER }],
});

/** The construct alone in a stack of its own, as a team with a CDK app of its own would add it. */
function construct(props: ApiKeyRotationProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform');
  const rotation = new ApiKeyRotation(stack, 'KeyRotation', props);
  return { rotation, template: Template.fromStack(stack) };
}

const functionNamed = (t: Template, name: 'Reconciler' | 'RotationFunction') => {
  const found = resourcesOf(t, 'AWS::Lambda::Function').find(([id]) => shortId(id) === name);
  if (found === undefined) throw new Error(`no ${name} function`);
  return found[1].Properties;
};

describe('the schedule', () => {
  it('runs the reconciler daily at 03:00 UTC through EventBridge Scheduler: flexible window, retries, dead-letter queue', () => {
    const schedules = resourcesOf(template, 'AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    expect(flat(schedules[0]![1].Properties)).toEqual({
      Description: 'keyrot: run the reconciler once a day',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      State: 'ENABLED',
      Target: {
        Arn: '${Reconciler.Arn}',
        RoleArn: '${ScheduleRole.Arn}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: '${DeadLetters.Arn}' },
        Input: expect.any(String),
      },
    });
    // The handler tells a scheduled run from a manual one by this input.
    const input = JSON.parse((schedules[0]![1].Properties.Target as { Input: string }).Input) as object;
    expect(input).toMatchObject({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event' });
  });

  it('hour, time zone and window are settings; a bad time zone fails synth', () => {
    const t = construct({
      schedule: { hour: 22, minute: 30, timeZone: 'Europe/Paris', flexibleWindow: Duration.minutes(0) },
    }).template;
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 22 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(() => construct({ schedule: { timeZone: 'Mars/Olympus', hour: 24 } })).toThrow(
      /schedule\.hour: an integer from 0 to 23 \(got 24\); schedule\.timeZone: an IANA time zone/,
    );
  });
});

describe('the functions', () => {
  it('NodejsFunction on the newest Node.js runtime, ARM64, ESM with source maps, explicit log groups kept a year', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    expect(functions.map(([id]) => shortId(id)).sort()).toEqual(['Reconciler', 'RotationFunction']);
    for (const [id, fn] of functions) {
      expect(flat(fn.Properties)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: `\${${shortId(id)}Logs}` },
        Environment: {
          Variables: expect.not.objectContaining({
            NODE_OPTIONS: expect.stringContaining('--enable-source-maps'),
          }),
        },
      });
    }
    expect(
      resourcesOf(template, 'AWS::Logs::LogGroup').map(([id, g]) => [shortId(id), g.Properties]),
    ).toEqual([
      ['RotationFunctionLogs', { RetentionInDays: 365 }],
      ['ReconcilerLogs', { RetentionInDays: 365 }],
    ]);
  });

  it('the reconciler reserves no concurrency (a new account could not deploy it), and failed asynchronous invocations go to the dead-letter queue', () => {
    // Reserving any concurrency fails where the account's unreserved concurrency would drop under 100
    // (new and low-quota accounts); two runs at once are safe (test/integration/faults/concurrent-runs).
    expect(flat(functionNamed(template, 'Reconciler'))).toMatchObject({
      Timeout: 900,
      DeadLetterConfig: { TargetArn: '${DeadLetters.Arn}' },
    });
    expect(functionNamed(template, 'Reconciler').ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('Reconciler') },
      MaximumRetryAttempts: 2,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(functionNamed(template, 'RotationFunction').ReservedConcurrentExecutions).toBeUndefined();
  });

  it('the rotation function is the secrets rotation Lambda: Secrets Manager may invoke it for this account and prefix only', () => {
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').map(([, p]) => flat(p.Properties));
    expect(permissions).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: '${RotationFunction.Arn}',
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: '${AWS::AccountId}',
        SourceArn: 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/*',
      },
    ]);
  });

  it('both functions get the configuration as KEYROT_CONFIG, valid for the functions; the reconciler names the rotation function', () => {
    const configOf = (name: 'Reconciler' | 'RotationFunction') => {
      const env = flat(functionNamed(template, name).Environment) as { Variables: Record<string, string> };
      // What CloudFormation will substitute.
      const json = env.Variables.KEYROT_CONFIG!.replace(
        '${RotationFunction.Arn}',
        'arn:aws:lambda:eu-west-1:123456789012:function:rotation',
      )
        .replace('${SecretsKey.Arn}', 'arn:aws:kms:eu-west-1:123456789012:key/1')
        .replace('${LeaseBucket}', 'keyrot-lease-bucket');
      return { config: parseConfig(JSON.parse(json), name), env: env.Variables };
    };
    const reconciler = configOf('Reconciler');
    expect(reconciler.config).toMatchObject({
      defaultPolicy: '90d',
      secretPrefix: 'keyrot/',
      metricNamespace: 'KeyRotation',
      rotationLambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rotation',
      secretKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1',
      leaseBucket: 'keyrot-lease-bucket',
    });
    expect(reconciler.env.REPORT_BUCKET).toBe('${Reports}');
    // The heap cap the benchmark measures with (infra/reconciler-runtime.ts).
    expect(reconciler.env.NODE_OPTIONS).toBe('--max-old-space-size=160');
    expect(configOf('RotationFunction').config).toMatchObject({
      defaultPolicy: '90d',
      secretKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1',
    });
    expect(configOf('RotationFunction').config.rotationLambdaArn).toBeUndefined();
  });

  it('a bad configuration fails synth with a message naming the field', () => {
    const weekly = { weekly: { periodDays: 7, graceDays: 1, disableWindowDays: 1 } };
    expect(() => synth({ 'keyrot:config': { policies: weekly, defaultPolicy: 'weekly' } })).toThrow(
      /Keyrot\/ApiKeyRotation config is invalid: policies\.weekly\.periodDays: periodDays must be 30, 60 or 90/,
    );
    expect(() => construct({ config: { defaultPolicy: '45d' } })).toThrow(
      /defaultPolicy: defaultPolicy "45d" is not one of the policies \(30d, 60d, 90d\)/,
    );
    expect(() =>
      construct({ config: { rotationLambdaArn: 'arn:aws:lambda:x' } as ApiKeyRotationProps['config'] }),
    ).toThrow(/rotationLambdaArn are set by the construct/);
  });
});

describe('alarms', () => {
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(
    ([, a]) => flat(a.Properties) as Record<string, unknown>,
  );
  const keyrot = (metric: string, statistic: string, period: number) => ({
    Namespace: 'KeyRotation',
    MetricName: metric,
    Statistic: statistic,
    Period: period,
  });
  const atLeast = (threshold: number, missing = 'ignore') => ({
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: missing,
  });
  const expected: Record<string, object> = {
    [ALARMS.keyRotationFailed]: { ...keyrot(METRIC.rotationFailures, 'Sum', 3600), ...atLeast(1) },
    [ALARMS.keysOverdue]: { ...keyrot(METRIC.overdueKeys, 'Maximum', 3600), ...atLeast(1) },
    [ALARMS.retirementPostponed]: { ...keyrot(METRIC.retirementsPostponed, 'Maximum', 3600), ...atLeast(1) },
    // A daily run starts within its 15-minute window and may take three 15-minute attempts: 26 hours.
    // Datapoints, not runs: the stack's creation puts a 0, so it does not fire before the first run.
    [ALARMS.runMissing]: {
      ...keyrot(METRIC.heartbeat, 'SampleCount', 26 * 3600),
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    },
    [ALARMS.quotaNearLimit]: { ...keyrot(METRIC.quotaUsedPercent, 'Maximum', 3600), ...atLeast(90) },
    [ALARMS.reconcilerErrors]: {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: '${Reconciler}' }],
      Statistic: 'Sum',
      Period: 300,
      ...atLeast(1),
    },
    [ALARMS.rotationFunctionErrors]: {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: '${RotationFunction}' }],
      Statistic: 'Sum',
      Period: 300,
      ...atLeast(1),
    },
    [ALARMS.deadLetterQueue]: {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: '${DeadLetters.QueueName}' }],
      Statistic: 'Maximum',
      Period: 300,
      ...atLeast(1),
    },
  };

  it('one per failure mode, each with its metric, threshold and missing-data treatment', () => {
    expect(Object.fromEntries(alarms.map((a) => [a.AlarmName, a]))).toEqual(
      Object.fromEntries(
        Object.entries(expected).map(([name, e]) => [
          name,
          expect.objectContaining({ ...e, EvaluationPeriods: 1 }),
        ]),
      ),
    );
  });

  it("every alarm notifies the topic (ALARM and OK); its description ends with its runbook's path, and the runbook exists", () => {
    expect(alarms).toHaveLength(8);
    for (const a of alarms) {
      const name = String(a.AlarmName);
      expect(a).toMatchObject({ AlarmActions: ['${MonitoringAlarms}'], OKActions: ['${MonitoringAlarms}'] });
      expect(a.AlarmDescription).toMatch(new RegExp(`\\. Runbook: runbooks/${name}\\.md$`));
      const path = String(a.AlarmDescription).replace(/^.* Runbook: /, '');
      expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
      // prometheus-operator style: what it means, what it breaks, how to look, what to do, whom to call.
      const runbook = readFileSync(join(ROOT, path), 'utf8');
      expect(runbook.split('\n')[0]).toBe(`# ${name}`);
      for (const section of ['Meaning', 'Impact', 'Diagnosis', 'Mitigation', 'Escalation']) {
        expect(runbook).toContain(`## ${section}`);
      }
      expect(readFileSync(join(ROOT, 'runbooks/README.md'), 'utf8')).toContain(`[${name}.md](${name}.md)`);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('the alarm topic is encrypted with a key of its own that CloudWatch may use, and CloudWatch may publish to it', () => {
    const [topic] = resourcesOf(template, 'AWS::SNS::Topic');
    expect(flat(topic![1].Properties)).toMatchObject({ KmsMasterKeyId: '${MonitoringAlarmTopicKey.Arn}' });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'keyrot: encrypts the alarm topic',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  it('an existing topic, a name prefix, a quota threshold and a runbook URL are settings', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Platform');
    const topic = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:123456789012:pager');
    new ApiKeyRotation(stack, 'KeyRotation', {
      alarmTopic: topic,
      alarms: { namePrefix: 'prod-', quotaUsedPercent: 75 },
      runbookBaseUrl: 'https://github.com/example/keyrot/blob/main/runbooks/',
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'prod-KeyQuotaNearLimit',
      Threshold: 75,
      AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:pager'],
      AlarmDescription: Match.stringLikeRegexp(
        'Runbook: https://github.com/example/keyrot/blob/main/runbooks/KeyQuotaNearLimit.md$',
      ),
    });
  });

  it('a dashboard shows the rotation and hygiene metrics, the functions, the dead letters and every alarm', () => {
    const [dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    const body = String(flat(dashboard![1].Properties.DashboardBody));
    for (const metric of [
      METRIC.keysRotated,
      METRIC.rotationFailures,
      METRIC.keysDisabled,
      METRIC.keysDeleted,
      METRIC.keysInGrace,
      METRIC.overdueKeys,
      'UnusedKeys',
      'OrphanedKeys',
      'LingeringKeys',
      // A counted check added later lands on the dashboard too.
      ...COUNTED.map((c) => c.metric),
      METRIC.unmanagedKeys,
      METRIC.findings,
      METRIC.totalKeys,
      METRIC.managedKeys,
      METRIC.quotaUsedPercent,
      METRIC.heartbeat,
      METRIC.runDuration,
      METRIC.deferredActions,
      METRIC.throttledCalls,
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(`"${metric}"`);
    }
    for (const name of Object.values(ALARMS)) expect(body).toContain(`\${Monitoring${name}.Arn}`);
  });
});

describe('the report bucket', () => {
  const buckets = Object.fromEntries(
    resourcesOf(template, 'AWS::S3::Bucket').map(([id, b]) => [shortId(id), flat(b.Properties)]),
  );
  const policies = Object.fromEntries(
    resourcesOf(template, 'AWS::S3::BucketPolicy').map(([, p]) => [
      String(flat(p.Properties.Bucket)),
      flat(p.Properties.PolicyDocument),
    ]),
  );

  it('versioned, Object Lock with a default retention, encrypted, ACLs off, public access blocked, access-logged', () => {
    expect(buckets.Reports).toEqual({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: '${ReportsAccessLogs}', LogFilePrefix: 'reports/' },
      LifecycleConfiguration: {
        Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }],
      },
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ ObjectLockEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('TLS-only (1.2 or newer), and so is the access-log bucket', () => {
    expect(policies['${Reports}']).toMatchObject({
      Statement: expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
      ]),
    });
    expect(policies['${ReportsAccessLogs}']).toMatchObject({
      Statement: expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        // S3 delivers the report bucket's logs, and nothing else.
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Condition: {
            ArnLike: { 'aws:SourceArn': '${Reports.Arn}' },
            StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' },
          },
        }),
      ]),
    });
    expect(buckets.ReportsAccessLogs).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 400, Status: 'Enabled' }] },
    });
  });

  it("a report's key never gets a second version: every write under runs/ must be conditional (If-None-Match)", () => {
    expect(policies['${Reports}']).toMatchObject({
      Statement: expect.arrayContaining([
        {
          Sid: 'ReportsAreNeverOverwritten',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:PutObject',
          Resource: '${Reports.Arn}/runs/*',
          Condition: { Null: { 's3:if-none-match': 'true' } },
        },
      ]),
    });
    // COMPLIANCE (the default) can't be bypassed: no statement about it.
    expect(JSON.stringify(policies['${Reports}'])).not.toContain('BypassGovernanceRetention');
  });

  it('GOVERNANCE is an opt-in: nobody but the break-glass role may bypass the retention', () => {
    const policyOf = (reportBucket: object) => {
      const t = synth({ 'keyrot:reportBucket': reportBucket }).template;
      const [, policy] = resourcesOf(t, 'AWS::S3::BucketPolicy').find(
        ([, p]) => String(flat(p.Properties.Bucket)) === '${Reports}',
      )!;
      return flat(policy.Properties.PolicyDocument) as { Statement: { Sid?: string }[] };
    };
    const bypass = (doc: { Statement: { Sid?: string }[] }) =>
      doc.Statement.find((s) => s.Sid === 'OnlyBreakGlassBypassesRetention');
    const breakGlass = 'arn:aws:iam::111122223333:role/keyrot-break-glass';
    expect(bypass(policyOf({ lockMode: 'GOVERNANCE', breakGlassRoleArn: breakGlass }))).toEqual({
      Sid: 'OnlyBreakGlassBypassesRetention',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:BypassGovernanceRetention',
      Resource: '${Reports.Arn}/*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': breakGlass } },
    });
    expect(bypass(policyOf({ lockMode: 'GOVERNANCE' }))).not.toHaveProperty('Condition');
    expect(() => construct({ reportBucket: { breakGlassRoleArn: breakGlass } })).toThrow(
      /breakGlassRoleArn: only with lockMode GOVERNANCE/,
    );
    expect(() =>
      construct({ reportBucket: { lockMode: 'GOVERNANCE', breakGlassRoleArn: 'someone' } }),
    ).toThrow(/breakGlassRoleArn: an IAM role ARN/);
  });

  it('retention and lock mode are settings', () => {
    synth({
      'keyrot:reportBucket': { retentionDays: 2555, lockMode: 'COMPLIANCE' },
    }).template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
      },
    });
    expect(() => construct({ reportBucket: { retentionDays: 0 } })).toThrow(
      /reportBucket\.retentionDays: whole days/,
    );
  });
});

describe('consumers in other accounts', () => {
  it('none by default: no resource policy, and the secrets key trusts only its own account', () => {
    const t = construct().template;
    t.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    t.hasResourceProperties('AWS::KMS::Key', {
      Description: 'keyrot: encrypts the API key secrets keyrot/*',
      EnableKeyRotation: true,
      KeyPolicy: { Statement: [Match.objectLike({ Action: 'kms:*', Principal: { AWS: Match.anyValue() } })] },
    });
  });

  it("a named role reads only its own credential's secret: the reconciler keeps the secret's policy (it may not exist at deploy), the key lets it decrypt only that secret through Secrets Manager", () => {
    // No resource policy in the template: a secret onboarded after the deployment would fail the stack.
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    const env = (
      flat(functionNamed(template, 'Reconciler').Environment) as { Variables: { KEYROT_CONFIG: string } }
    ).Variables.KEYROT_CONFIG;
    expect(env).toContain(`"consumers":{"partner-acme":["${PARTNER}"]}`);
    const [key] = resourcesOf(template, 'AWS::KMS::Key').filter(([id]) => shortId(id) === 'SecretsKey');
    const statements = (flat(key![1].Properties.KeyPolicy) as { Statement: Statement[] }).Statement;
    expect(statements.filter((s) => JSON.stringify(s.Principal).includes('111122223333'))).toEqual([
      {
        Sid: expect.stringMatching(/^ConsumerDecrypts[0-9a-f]{16}$/),
        Effect: 'Allow',
        // The role's account (always exists), narrowed to the role by a condition: the role may come later.
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': PARTNER },
          StringEquals: { 'kms:ViaService': 'secretsmanager.${AWS::Region}.amazonaws.com' },
          StringLike: {
            'kms:EncryptionContext:SecretARN':
              'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/partner-acme-??????',
          },
        },
      },
    ]);
  });

  it('two roles of one credential are both in the configuration and the key policy; an account root is refused', () => {
    const other = 'arn:aws:iam::444455556666:role/partner-batch';
    const t = construct({
      consumers: [
        { credential: 'partner-acme', principalArn: PARTNER },
        { credential: 'partner-acme', principalArn: other },
      ],
    }).template;
    t.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    expect(JSON.stringify(t.toJSON())).toContain(
      `\\"consumers\\":{\\"partner-acme\\":[\\"${PARTNER}\\",\\"${other}\\"]}`,
    );
    expect(() =>
      construct({
        consumers: [{ credential: 'partner-acme', principalArn: 'arn:aws:iam::111122223333:root' }],
      }),
    ).toThrow(/consumers\.0\.principalArn: an IAM role ARN/);
  });
});

describe('least privilege', () => {
  const P = 'arn:${AWS::Partition}:apigateway:${AWS::Region}::';
  /** An API key's tags as IAM sees them: /tags/ and the key's URL-encoded ARN. */
  const TAGS = `${P}/tags/arn%3A\${AWS::Partition}%3Aapigateway%3A\${AWS::Region}%3A%3A%2Fapikeys%2F`;
  const TAGGED_KEY = `${TAGS}a1b2c3`;
  const SECRETS = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/*';
  const SECRETS_KEY = {
    Sid: 'UseSecretsKeyThroughSecretsManager',
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
    Resource: '${SecretsKey.Arn}',
    Condition: {
      StringEquals: { 'kms:ViaService': 'secretsmanager.${AWS::Region}.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:SecretARN': SECRETS },
    },
  };
  const allow = (Sid: string | undefined, Action: string | string[], Resource: string | string[]) => ({
    ...(Sid !== undefined && { Sid }),
    Effect: 'Allow',
    Action,
    Resource,
  });
  const reconciler = roleStatements(template, 'ReconcilerRole');
  const rotation = roleStatements(template, 'RotationFunctionRole');
  const bySid = (statements: Statement[]) =>
    Object.fromEntries(statements.map((s) => [s.Sid ?? list(s.Action).join(','), s]));

  it('the reconciler: exactly these statements', () => {
    expect(bySid(reconciler)).toEqual(
      bySid([
        allow('WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], '${ReconcilerLogs.Arn}'),
        allow(undefined, 'sqs:SendMessage', '${DeadLetters.Arn}'),
        allow('ReadApiKeysAndUsagePlans', 'apigateway:GET', [
          `${P}/apikeys`,
          `${P}/apikeys/*`,
          `${P}/usageplans`,
          `${P}/usageplans/*`,
        ]),
        allow('ReadApisForPosture', 'apigateway:GET', [`${P}/restapis`, `${P}/restapis/*`]),
        allow('DisableAndDeleteApiKeys', ['apigateway:DELETE', 'apigateway:PATCH'], `${P}/apikeys/*`),
        allow('AttachApiKeysToUsagePlans', 'apigateway:POST', `${P}/usageplans/*/keys`),
        allow('TagApiKeys', 'apigateway:PUT', `${TAGS}*`),
        allow('UntagApiKeys', 'apigateway:DELETE', `${TAGS}*`),
        allow('ListSecrets', 'secretsmanager:ListSecrets', '*'),
        allow(
          'ManagedSecrets',
          [
            'secretsmanager:CreateSecret',
            'secretsmanager:DeleteResourcePolicy',
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetResourcePolicy',
            'secretsmanager:ListSecretVersionIds',
            'secretsmanager:PutResourcePolicy',
            'secretsmanager:RotateSecret',
            'secretsmanager:TagResource',
            'secretsmanager:UntagResource',
          ],
          SECRETS,
        ),
        allow('InvokeRotationFunction', 'lambda:InvokeFunction', '${RotationFunction.Arn}'),
        // A policy of its own (a statement naming its function in the default policy would be a cycle).
        allow('ContinueRun', 'lambda:InvokeFunction', ['${Reconciler.Arn}', '${Reconciler.Arn}:*']),
        SECRETS_KEY,
        {
          ...allow('PutMetricsInNamespace', 'cloudwatch:PutMetricData', '*'),
          Condition: { StringEquals: { 'cloudwatch:namespace': 'KeyRotation' } },
        },
        allow(
          'PutEvents',
          'events:PutEvents',
          'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
        ),
        allow('WriteRunReports', 's3:PutObject', '${Reports.Arn}/runs/*'),
        allow('HoldRunLease', ['s3:GetObject', 's3:PutObject'], '${LeaseBucket.Arn}/run-lease.json'),
        allow('FindRunLease', 's3:ListBucket', '${LeaseBucket.Arn}'),
      ]),
    );
  });

  it('Security Hub (securityHub.enabled): BatchImportFindings on the default product, GetFindings on the hub; nothing when off', () => {
    const securityHub = (statements: Statement[]) =>
      statements.filter((s) => list(s.Action).some((a) => a.startsWith('securityhub:')));
    expect(securityHub(reconciler)).toEqual([]);
    expect(securityHub(rotation)).toEqual([]);
    const on = synth({ 'keyrot:config': { securityHub: { enabled: true } } }).template;
    const hub = 'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}';
    expect(securityHub(roleStatements(on, 'ReconcilerRole'))).toEqual([
      allow(
        'ImportSecurityHubFindings',
        'securityhub:BatchImportFindings',
        `${hub}:product/\${AWS::AccountId}/default`,
      ),
      allow('ReadSecurityHubFindings', 'securityhub:GetFindings', `${hub}:hub/default`),
    ]);
    // The rotation function never publishes findings.
    expect(securityHub(roleStatements(on, 'RotationFunctionRole'))).toEqual([]);
  });

  it('the rotation function: exactly these statements', () => {
    expect(bySid(rotation)).toEqual(
      bySid([
        allow('WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], '${RotationFunctionLogs.Arn}'),
        allow('ReadApiKeysAndUsagePlans', 'apigateway:GET', [
          `${P}/apikeys`,
          `${P}/apikeys/*`,
          `${P}/usageplans`,
          `${P}/usageplans/*`,
        ]),
        allow('CreateApiKeys', 'apigateway:POST', `${P}/apikeys`),
        allow('AttachApiKeysToUsagePlans', 'apigateway:POST', `${P}/usageplans/*/keys`),
        allow('TagApiKeys', 'apigateway:PUT', `${TAGS}*`),
        allow('RevokeLeakedApiKeys', 'apigateway:PATCH', `${P}/apikeys/*`),
        allow(
          'RotateManagedSecrets',
          [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:TagResource',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          SECRETS,
        ),
        SECRETS_KEY,
      ]),
    );
  });

  // Every AWS call each function makes (grep functions/ for `Command(` and `paginate`), as IAM sees it.
  const key = `${P}/apikeys/a1b2c3`;
  const plan = `${P}/usageplans/p1`;
  const secret =
    'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/partner-acme-AbCdEf';
  const calls: [string, 'reconciler' | 'rotation', string, string][] = [
    ['GetApiKeys', 'reconciler', 'apigateway:GET', `${P}/apikeys`],
    ['GetApiKey (adoption)', 'reconciler', 'apigateway:GET', key],
    ['GetUsagePlans', 'reconciler', 'apigateway:GET', `${P}/usageplans`],
    ['GetUsagePlanKeys', 'reconciler', 'apigateway:GET', `${plan}/keys`],
    ['GetUsage', 'reconciler', 'apigateway:GET', `${plan}/usage`],
    ['GetRestApis', 'reconciler', 'apigateway:GET', `${P}/restapis`],
    ['GetResources', 'reconciler', 'apigateway:GET', `${P}/restapis/api1/resources`],
    ['UpdateApiKey (disable)', 'reconciler', 'apigateway:PATCH', key],
    ['DeleteApiKey', 'reconciler', 'apigateway:DELETE', key],
    ['CreateUsagePlanKey (attach)', 'reconciler', 'apigateway:POST', `${plan}/keys`],
    ['TagResource (API key)', 'reconciler', 'apigateway:PUT', TAGGED_KEY],
    ['UntagResource (API key: forget a disable record)', 'reconciler', 'apigateway:DELETE', TAGGED_KEY],
    ['ListSecrets', 'reconciler', 'secretsmanager:ListSecrets', '*'],
    ['DescribeSecret', 'reconciler', 'secretsmanager:DescribeSecret', secret],
    ['RotateSecret', 'reconciler', 'secretsmanager:RotateSecret', secret],
    [
      'RotateSecret invokes the rotation function; a stuck rotation is resumed by invoking it',
      'reconciler',
      'lambda:InvokeFunction',
      '${RotationFunction.Arn}',
    ],
    [
      'Invoke itself asynchronously: a run its deadline cut short continues',
      'reconciler',
      'lambda:InvokeFunction',
      '${Reconciler.Arn}',
    ],
    [
      'Invoke itself by the qualified ARN it was invoked with (a version, an alias, $LATEST)',
      'reconciler',
      'lambda:InvokeFunction',
      '${Reconciler.Arn}:live',
    ],
    ['CreateSecret (adoption)', 'reconciler', 'secretsmanager:CreateSecret', secret],
    [
      'CreateSecret with tags; the rotation facts and the recorded rotation',
      'reconciler',
      'secretsmanager:TagResource',
      secret,
    ],
    [
      'ListSecretVersionIds (how long a rotation has been pending)',
      'reconciler',
      'secretsmanager:ListSecretVersionIds',
      secret,
    ],
    ['GetResourcePolicy (consumers)', 'reconciler', 'secretsmanager:GetResourcePolicy', secret],
    ['PutResourcePolicy (consumers)', 'reconciler', 'secretsmanager:PutResourcePolicy', secret],
    ['DeleteResourcePolicy (consumers removed)', 'reconciler', 'secretsmanager:DeleteResourcePolicy', secret],
    [
      'UntagResource (consumers removed; a rollback clears a request)',
      'reconciler',
      'secretsmanager:UntagResource',
      secret,
    ],
    ['PutMetricData', 'reconciler', 'cloudwatch:PutMetricData', '*'],
    [
      'PutEvents',
      'reconciler',
      'events:PutEvents',
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
    ],
    ['PutObject (report)', 'reconciler', 's3:PutObject', '${Reports.Arn}/runs/2026/01/31/x.json'],
    ['GetObject (the run lease)', 'reconciler', 's3:GetObject', '${LeaseBucket.Arn}/run-lease.json'],
    [
      'PutObject (the run lease, conditional)',
      'reconciler',
      's3:PutObject',
      '${LeaseBucket.Arn}/run-lease.json',
    ],
    ['ListBucket (a missing lease is 404, not 403)', 'reconciler', 's3:ListBucket', '${LeaseBucket.Arn}'],
    ['GetApiKeys (by name)', 'rotation', 'apigateway:GET', `${P}/apikeys`],
    ['GetApiKey', 'rotation', 'apigateway:GET', key],
    ['GetUsagePlans (of a key)', 'rotation', 'apigateway:GET', `${P}/usageplans`],
    ['CreateApiKey', 'rotation', 'apigateway:POST', `${P}/apikeys`],
    ['CreateApiKey with tags', 'rotation', 'apigateway:PUT', TAGGED_KEY],
    ['CreateUsagePlanKey', 'rotation', 'apigateway:POST', `${plan}/keys`],
    ['UpdateApiKey (finishSecret revokes a leaked key)', 'rotation', 'apigateway:PATCH', key],
    ['TagResource (its revoked-at record)', 'rotation', 'apigateway:PUT', TAGGED_KEY],
    ['DescribeSecret', 'rotation', 'secretsmanager:DescribeSecret', secret],
    ['GetSecretValue', 'rotation', 'secretsmanager:GetSecretValue', secret],
    ['PutSecretValue', 'rotation', 'secretsmanager:PutSecretValue', secret],
    ['UpdateSecretVersionStage', 'rotation', 'secretsmanager:UpdateSecretVersionStage', secret],
    [
      'TagResource (its new key and its activation, on the secret)',
      'rotation',
      'secretsmanager:TagResource',
      secret,
    ],
    ['Decrypt a secret', 'rotation', 'kms:Decrypt', '${SecretsKey.Arn}'],
    ['Encrypt a new secret version', 'rotation', 'kms:GenerateDataKey', '${SecretsKey.Arn}'],
  ];
  it.each(calls)('%s: the %s may call it', (_, who, action, resource) => {
    expect(allows(who === 'reconciler' ? reconciler : rotation, action, resource)).toBe(true);
  });

  it('and nothing more: no write outside /apikeys and /usageplans keys, no secret outside the prefix, no other service', () => {
    // The rotation function never deletes or lists, and disables only to revoke a leaked key (zero
    // grace); the reconciler never creates a key.
    expect(allows(rotation, 'apigateway:PATCH', `${P}/usageplans/p1`)).toBe(false);
    expect(allows(rotation, 'apigateway:DELETE', key)).toBe(false);
    expect(allows(rotation, 'apigateway:DELETE', TAGGED_KEY)).toBe(false);
    expect(allows(rotation, 'apigateway:GET', `${P}/restapis`)).toBe(false);
    expect(allows(reconciler, 'apigateway:POST', `${P}/apikeys`)).toBe(false);
    expect(allows(reconciler, 'secretsmanager:PutSecretValue', secret)).toBe(false);
    expect(allows(reconciler, 'secretsmanager:UpdateSecretVersionStage', secret)).toBe(false);
    // The reconciler never reads a secret's value (README); adoption checks a secret by its tags.
    expect(allows(reconciler, 'secretsmanager:GetSecretValue', secret)).toBe(false);
    // Tags of API keys only: not a stage's, an API's or a usage plan's (tag-based access control).
    for (const who of [reconciler, rotation]) {
      for (const other of ['%2Frestapis%2Fapi1%2Fstages%2Fprod', '%2Frestapis%2Fapi1', '%2Fusageplans%2Fp1'])
        expect(allows(who, 'apigateway:PUT', `${TAGS.replace(/%2Fapikeys%2F$/, '')}${other}`)).toBe(false);
    }
    for (const who of [reconciler, rotation]) {
      expect(allows(who, 'apigateway:PATCH', `${P}/usageplans/p1`)).toBe(false);
      expect(allows(who, 'apigateway:DELETE', `${P}/usageplans/p1/keys/a1b2c3`)).toBe(false);
      expect(allows(who, 'apigateway:POST', `${P}/restapis`)).toBe(false);
      expect(allows(who, 'secretsmanager:GetSecretValue', secret.replace('keyrot/', 'other/'))).toBe(false);
    }
    const ALLOWED = new Set([
      ...calls.map(([, , action]) => action),
      'apigateway:PATCH',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      // The reconciler's dead-letter queue for failed asynchronous invocations.
      'sqs:SendMessage',
    ]);
    const actions = [...reconciler, ...rotation].flatMap((s) => list(s.Action));
    expect(actions.filter((a) => !ALLOWED.has(a))).toEqual([]);
    // A * resource only where the action has no resource-level permission.
    const star = [...reconciler, ...rotation].filter((s) => list(s.Resource).includes('*'));
    expect(star.map((s) => [s.Action, s.Condition])).toEqual([
      ['secretsmanager:ListSecrets', undefined],
      ['cloudwatch:PutMetricData', { StringEquals: { 'cloudwatch:namespace': 'KeyRotation' } }],
    ]);
  });

  it('three roles, none with a managed policy; Scheduler may only invoke the reconciler and park events, for this account', () => {
    const roles = resourcesOf(template, 'AWS::IAM::Role');
    expect(roles.map(([id]) => shortId(id)).sort()).toEqual([
      'ReconcilerRole',
      'RotationFunctionRole',
      'ScheduleRole',
    ]);
    for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const [, schedule] = roles.find(([id]) => shortId(id) === 'ScheduleRole')!;
    expect(flat(schedule.Properties.AssumeRolePolicyDocument)).toMatchObject({
      Statement: [
        {
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '${AWS::AccountId}' } },
        },
      ],
    });
    expect(roleStatements(template, 'ScheduleRole')).toEqual([
      allow(undefined, 'lambda:InvokeFunction', ['${Reconciler.Arn}', '${Reconciler.Arn}:*']),
      allow(undefined, 'sqs:SendMessage', '${DeadLetters.Arn}'),
    ]);
  });

  it('follows the configuration: another secret prefix and namespace, events off', () => {
    const t = synth({
      'keyrot:config': { secretPrefix: 'apikeys/', metricNamespace: 'Platform/Keys', eventBusName: null },
    }).template;
    const statements = roleStatements(t, 'ReconcilerRole');
    expect(allows(statements, 'secretsmanager:RotateSecret', SECRETS.replace('keyrot/', 'apikeys/'))).toBe(
      true,
    );
    expect(allows(statements, 'secretsmanager:RotateSecret', SECRETS)).toBe(false);
    expect(
      allows(
        statements,
        'events:PutEvents',
        'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
      ),
    ).toBe(false);
    expect(statements.find((s) => s.Sid === 'PutMetricsInNamespace')?.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'Platform/Keys' },
    });
  });
});

describe('cdk.json context', () => {
  it('builds the stack from cdk.json, and accepts -c values given as JSON strings', () => {
    const { stack } = synth({
      'keyrot:consumers': JSON.stringify([{ credential: 'c1', principalArn: PARTNER }]),
    });
    expect(stack.stackName).toBe('Keyrot');
    const env = flat(functionNamed(Template.fromStack(stack), 'Reconciler').Environment) as {
      Variables: { KEYROT_CONFIG: string };
    };
    expect(env.Variables.KEYROT_CONFIG).toContain(`"consumers":{"c1":["${PARTNER}"]}`);
  });

  it('a misspelt or malformed setting fails synth and says what is expected', () => {
    expect(() => synth({ 'keyrot:alarmEmial': 'oncall@example.com' })).toThrow(
      /cdk\.json context is invalid: keyrot:alarmEmial: not a keyrot setting/,
    );
    expect(() => synth({ 'keyrot:reportBucket': { lockMode: 'STRICT' } })).toThrow(
      /keyrot:reportBucket\.lockMode/,
    );
    expect(() => synth({ 'keyrot:logRetentionDays': 42 })).toThrow(
      /keyrot:logRetentionDays: one of CloudWatch Logs' retentions/,
    );
  });
});

describe('a first deployment: ReconcilerRunMissing waits for the first run', () => {
  it('the reconciler itself answers a custom resource at stack creation (no other function, no managed policy)', () => {
    const [resource] = resourcesOf(template, 'Custom::KeyrotHeartbeatWindow');
    expect(flat(resource![1].Properties)).toEqual({ ServiceToken: '${Reconciler.Arn}' });
    expect(resourcesOf(template, 'AWS::Lambda::Function')).toHaveLength(2);
  });
});

describe("the CLI's configuration comes from the stack's outputs (a first deployment)", () => {
  const { template } = synth();
  const outputs = template.toJSON().Outputs as Record<string, { Description: string }>;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it.each([
    ['RotationFunctionArn', 'rotationLambdaArn'],
    ['SecretsKeyArn', 'secretKmsKeyId'],
    ['LeaseBucketName', 'leaseBucket'],
  ])('output %s says it is %s, and the README shows both', (output, field) => {
    expect(outputs[output]?.Description).toContain(`${field} of the CLI configuration`);
    expect(readme).toContain(`"${field}":`);
    expect(readme).toContain(`\`${output}\` as \`${field}\``);
  });
});

describe('operator policies (infra/operator-permissions.ts): one per on-call use of the CLI', () => {
  const policy = (id: string): Statement[] => {
    const found = resourcesOf(template, 'AWS::IAM::ManagedPolicy').find(([logical]) =>
      shortId(logical).startsWith(`${id}Policy`),
    );
    expect(found, id).toBeDefined();
    return (flat(found![1].Properties.PolicyDocument) as { Statement: Statement[] }).Statement;
  };
  const actions = (statements: Statement[]) => [...new Set(statements.flatMap((s) => list(s.Action)))].sort();
  const P = 'arn:${AWS::Partition}:apigateway:${AWS::Region}::';
  const secret =
    'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/acme-AbCdEf';

  it('read-only (plan, status, report, preflight): reads and lists, never a secret value, no write', () => {
    const readOnly = policy('OperatorReadOnly');
    const READS = /^(apigateway:GET|[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*)$/;
    expect(actions(readOnly).filter((a) => !READS.test(a))).toEqual([]);
    expect(allows(readOnly, 'secretsmanager:GetSecretValue', secret)).toBe(false);
    expect(allows(readOnly, 'apigateway:GET', `${P}/apikeys/k1`)).toBe(true);
    expect(allows(readOnly, 's3:GetObject', '${Reports.Arn}/runs/2027/01/31/json/x.json')).toBe(true);
    expect(allows(readOnly, 's3:GetObject', '${Reports.Arn}/other/x')).toBe(false);
  });

  it('on-call (apply, rotate, rollback, suspend, resume): the run writes and a rollback, no key creation, no value', () => {
    const onCall = policy('OperatorOnCall');
    expect(allows(onCall, 'secretsmanager:UpdateSecretVersionStage', secret)).toBe(true);
    expect(allows(onCall, 'secretsmanager:RotateSecret', secret)).toBe(true);
    expect(allows(onCall, 'apigateway:PATCH', `${P}/apikeys/k1`)).toBe(true);
    expect(allows(onCall, 's3:PutObject', '${LeaseBucket.Arn}/run-lease.json')).toBe(true);
    expect(allows(onCall, 'apigateway:POST', `${P}/apikeys`)).toBe(false);
    expect(allows(onCall, 'secretsmanager:GetSecretValue', secret)).toBe(false);
    expect(allows(onCall, 'secretsmanager:PutSecretValue', secret)).toBe(false);
  });

  it('onboard: a new key and its secret; nothing disabled or deleted', () => {
    const onboard = policy('OperatorOnboard');
    expect(allows(onboard, 'apigateway:POST', `${P}/apikeys`)).toBe(true);
    expect(allows(onboard, 'secretsmanager:CreateSecret', secret)).toBe(true);
    expect(allows(onboard, 'apigateway:PATCH', `${P}/apikeys/k1`)).toBe(false);
    expect(allows(onboard, 'apigateway:DELETE', `${P}/apikeys/k1`)).toBe(false);
    expect(allows(onboard, 'secretsmanager:GetSecretValue', secret.replace('keyrot/', 'other/'))).toBe(false);
  });

  it.each(['OperatorReadOnly', 'OperatorOnCall', 'OperatorOnboard'])(
    'output %sPolicyArn names its verbs, and the README shows it',
    (id) => {
      const outputs = template.findOutputs('*') as Record<string, { Description?: string }>;
      expect(outputs[`${id}PolicyArn`]?.Description).toMatch(/^attach to whoever runs keyrot /);
      expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`\`${id}PolicyArn\``);
    },
  );
});

describe('multi-region credentials (replicaRegions, docs/multi-region.md)', () => {
  const multi = synth({ 'keyrot:config': { replicaRegions: ['eu-west-1'] } }).template;
  const home = 'arn:${AWS::Partition}:apigateway:${AWS::Region}::';
  const eu = 'arn:${AWS::Partition}:apigateway:eu-west-1::';
  const euTagged = `${eu}/tags/arn%3A\${AWS::Partition}%3Aapigateway%3Aeu-west-1%3A%3A%2Fapikeys%2Fk1`;
  /** A KMS key of a region (a replica region's stack key, by its id). */
  const key = (region: string) => `arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:key/1234abcd`;

  it("the functions act on API keys in the stack's region and each replica region, and in no other", () => {
    const rotation = roleStatements(multi, 'RotationFunctionRole');
    const reconciler = roleStatements(multi, 'ReconcilerRole');
    for (const base of [home, eu]) {
      expect(allows(rotation, 'apigateway:POST', `${base}/apikeys`)).toBe(true);
      expect(allows(rotation, 'apigateway:POST', `${base}/usageplans/p1/keys`)).toBe(true);
      expect(allows(reconciler, 'apigateway:PATCH', `${base}/apikeys/k1`)).toBe(true);
      expect(allows(reconciler, 'apigateway:DELETE', `${base}/apikeys/k1`)).toBe(true);
    }
    expect(allows(reconciler, 'apigateway:PUT', euTagged)).toBe(true);
    const other = 'arn:${AWS::Partition}:apigateway:ap-south-1::';
    expect(allows(rotation, 'apigateway:POST', `${other}/apikeys`)).toBe(false);
    expect(allows(reconciler, 'apigateway:DELETE', `${other}/apikeys/k1`)).toBe(false);
    // Without replica regions, only the stack's own.
    expect(allows(roleStatements(template, 'RotationFunctionRole'), 'apigateway:POST', `${eu}/apikeys`)).toBe(
      false,
    );
  });

  it('onboarding may replicate the secret; without replica regions it may not', () => {
    const onboard = (t: typeof template) =>
      (
        flat(
          resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
            shortId(id).startsWith('OperatorOnboardPolicy'),
          )![1].Properties.PolicyDocument,
        ) as { Statement: Statement[] }
      ).Statement;
    const secret =
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/acme-AbCdEf';
    expect(allows(onboard(multi), 'secretsmanager:ReplicateSecretToRegions', secret)).toBe(true);
    expect(allows(onboard(template), 'secretsmanager:ReplicateSecretToRegions', secret)).toBe(false);
    expect(allows(onboard(multi), 'apigateway:POST', `${eu}/usageplans/p1/keys`)).toBe(true);
  });

  it("names the secrets key by an alias derived from secretPrefix (the home region's name for it)", () => {
    for (const [t, alias] of [
      [template, 'alias/keyrot-secrets/keyrot_2f'],
      [synth({ 'keyrot:config': { secretPrefix: 'team.a/' } }).template, 'alias/keyrot-secrets/team_2ea_2f'],
    ] as const) {
      const aliases = resourcesOf(t, 'AWS::KMS::Alias').map(([, r]) => flat(r.Properties));
      expect(aliases).toEqual([{ AliasName: alias, TargetKeyId: '${SecretsKey.Arn}' }]);
    }
  });

  it("onboarding may encrypt a replica with each replica region's stack key, by its alias, through Secrets Manager only", () => {
    const onboard = (t: typeof template) =>
      (
        flat(
          resourcesOf(t, 'AWS::IAM::ManagedPolicy').find(([id]) =>
            shortId(id).startsWith('OperatorOnboardPolicy'),
          )![1].Properties.PolicyDocument,
        ) as { Statement: Statement[] }
      ).Statement;
    const two = synth({ 'keyrot:config': { replicaRegions: ['eu-west-1', 'ap-south-1'] } }).template;
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']) {
      expect(allows(onboard(multi), action, key('eu-west-1')), action).toBe(true);
      expect(allows(onboard(two), action, key('ap-south-1')), action).toBe(true);
      // Not the home region's (the stack's own key has its own grant), nor a region the stack doesn't drive.
      expect(allows(onboard(multi), action, key('${AWS::Region}')), action).toBe(false);
      expect(allows(onboard(multi), action, key('ap-south-1')), action).toBe(false);
      expect(allows(onboard(template), action, key('eu-west-1')), action).toBe(false);
    }
    const alias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/keyrot-secrets/keyrot_2f' } };
    const encrypt = onboard(two).find((s) => list(s.Action).includes('kms:Encrypt'))!;
    expect(encrypt.Condition).toEqual({
      ...alias,
      StringEquals: {
        'kms:ViaService': [
          'secretsmanager.eu-west-1.amazonaws.com',
          'secretsmanager.ap-south-1.amazonaws.com',
        ],
      },
    });
    expect(onboard(two).find((s) => list(s.Action).includes('kms:DescribeKey'))!.Condition).toEqual(alias);
    // The rotation function replicates nothing: no grant on another region's key.
    expect(allows(roleStatements(multi, 'RotationFunctionRole'), 'kms:Encrypt', key('eu-west-1'))).toBe(
      false,
    );
  });

  it("the reconciler may replicate an adopted secret with each replica region's key; without replica regions it may not", () => {
    const secret =
      'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:keyrot/acme-AbCdEf';
    const reconciler = roleStatements(multi, 'ReconcilerRole');
    const single = roleStatements(template, 'ReconcilerRole');
    expect(allows(reconciler, 'secretsmanager:ReplicateSecretToRegions', secret)).toBe(true);
    expect(allows(single, 'secretsmanager:ReplicateSecretToRegions', secret)).toBe(false);
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey']) {
      expect(allows(reconciler, action, key('eu-west-1')), action).toBe(true);
      expect(allows(reconciler, action, key('ap-south-1')), action).toBe(false);
      expect(allows(single, action, key('eu-west-1')), action).toBe(false);
    }
  });
});
