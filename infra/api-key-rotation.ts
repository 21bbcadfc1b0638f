import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  CfnElement,
  Duration,
  FeatureFlags,
  Lazy,
  RemovalPolicy,
  Stack,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { parseConfig, type Config } from '../functions/core/config.js';
import { METRIC } from '../functions/core/metrics.js';
import { alarmDescription, alarmSpecs, type AlarmName, type AlarmSpec } from './alarms.js';
import { reconcilerStatements, rotationStatements } from './permissions.js';
import {
  consumerProblems,
  resolveOptions,
  type ApiKeyRotationProps,
  type ConsumerAccess,
  type ResolvedOptions,
} from './props.js';
import { RECONCILER_NODE_OPTIONS } from './reconciler-runtime.js';

export type {
  AlarmOptions,
  ApiKeyRotationProps,
  ConsumerAccess,
  KeyrotSettings,
  ReconcilerScheduleOptions,
  ReportBucketOptions,
} from './props.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The reconciler's Lambda timeout; the run stops starting actions two minutes before it. */
const RECONCILER_TIMEOUT = Duration.minutes(15);
/** The reconciler's asynchronous retries after a failed run (Lambda's own, on top of Scheduler's). */
const RECONCILER_RETRIES = 2;

/**
 * keyrot in one construct: the daily reconciler (EventBridge Scheduler), the Secrets Manager rotation
 * function, a KMS key for the credentials' secrets, the object-locked report bucket, alarms whose
 * descriptions end with their runbook, a dashboard, and least-privilege roles.
 */
export class ApiKeyRotation extends Construct {
  /** The validated configuration, with defaults, as the functions read it. */
  readonly config: Config;
  readonly reconciler: nodejs.NodejsFunction;
  readonly rotationFunction: nodejs.NodejsFunction;
  readonly reconcilerLogGroup: logs.LogGroup;
  readonly rotationLogGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;
  /** Failed asynchronous invocations of the reconciler, and schedule deliveries that failed every retry. */
  readonly deadLetterQueue: sqs.Queue;
  /** Encrypts the credentials' secrets (onboarding and adoption create them with it). */
  readonly secretsKey: kms.Key;
  readonly reportBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly alarmTopic: sns.ITopic;
  readonly alarms: Record<AlarmName, cloudwatch.Alarm>;
  readonly dashboard: cloudwatch.Dashboard;

  private readonly options: ResolvedOptions;
  private readonly consumerPrincipals = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: ApiKeyRotationProps = {}) {
    super(scope, id);
    const ownedByConstruct = ['rotationLambdaArn', 'secretKmsKeyId'].filter((field) =>
      Object.hasOwn(props.config ?? {}, field),
    );
    if (ownedByConstruct.length > 0) {
      throw new Error(
        `${this.node.path} config is invalid: ${ownedByConstruct.join(', ')} are set by the construct (its rotation function and its KMS key); remove them`,
      );
    }
    this.config = parseConfig(props.config ?? {}, `${this.node.path} config`);
    this.options = resolveOptions(props, `${this.node.path} props`);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const secretArns = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${this.config.secretPrefix}*`;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: `keyrot: encrypts the API key secrets ${this.config.secretPrefix}*`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    ({ reportBucket: this.reportBucket, accessLogs: this.accessLogsBucket } = this.createBuckets());

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const rotation = this.createFunction('RotationFunction', 'functions/rotation.ts', retention, {
      description: 'keyrot: the Secrets Manager rotation function of the API key secrets',
      // testSecret retries the canary while a new key propagates.
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { KEYROT_CONFIG: this.functionConfig() },
    });
    this.rotationFunction = rotation.fn;
    this.rotationLogGroup = rotation.logGroup;
    // Secrets Manager invokes it for this account's managed secrets only (they are created at onboarding,
    // so the condition names their ARN prefix rather than each secret).
    this.rotationFunction.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: secretArns,
    });

    const reconciler = this.createFunction('Reconciler', 'functions/reconciler.ts', retention, {
      description: 'keyrot: the daily reconciler (rotate, retire, hygiene, report)',
      timeout: RECONCILER_TIMEOUT,
      memorySize: 1024,
      // Two runs never overlap: a second invocation waits in Lambda's queue for the first to end.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: RECONCILER_RETRIES,
      environment: {
        KEYROT_CONFIG: this.functionConfig({ rotationLambdaArn: this.rotationFunction.functionArn }),
        REPORT_BUCKET: this.reportBucket.bucketName,
        NODE_OPTIONS: `--enable-source-maps ${RECONCILER_NODE_OPTIONS}`,
      },
    });
    this.reconciler = reconciler.fn;
    this.reconcilerLogGroup = reconciler.logGroup;

    const grants = { secretArns, secretsKeyArn: this.secretsKey.keyArn };
    for (const s of rotationStatements(grants)) this.rotationFunction.addToRolePolicy(s);
    for (const s of reconcilerStatements({
      ...grants,
      rotationFunctionArn: this.rotationFunction.functionArn,
      metricNamespace: this.config.metricNamespace,
      eventBusArn: this.eventBusArn(),
      reportObjectsArn: this.reportBucket.arnForObjects('runs/*'),
    })) {
      this.reconciler.addToRolePolicy(s);
    }

    this.schedule = this.createSchedule();
    this.acknowledgeWildcards();
    for (const consumer of this.options.consumers) this.addConsumer(consumer);

    this.alarmTopic = this.options.alarms.topic ?? this.createAlarmTopic();
    if (this.options.alarms.email !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(this.options.alarms.email));
    }
    this.alarms = this.createAlarms();
    this.dashboard = this.createDashboard();
  }

  /** KEYROT_CONFIG of a function: the configuration, with what this construct made (the secrets key). */
  private functionConfig(extra: Partial<Config> = {}): string {
    return Stack.of(this).toJsonString({ ...this.config, secretKmsKeyId: this.secretsKey.keyArn, ...extra });
  }

  /**
   * Lets a role in another account read one credential's secret, and nothing else: a resource policy on
   * that secret, and a statement in the secrets key's policy that allows decryption only through
   * Secrets Manager and only for that secret.
   */
  addConsumer(consumer: ConsumerAccess): void {
    const problems = consumerProblems(consumer, 'consumer');
    if (problems.length > 0) throw new Error(`${this.node.path} consumer is invalid: ${problems.join('; ')}`);
    const name = `${this.config.secretPrefix}${consumer.credential}`;
    let principals = this.consumerPrincipals.get(consumer.credential);
    if (principals === undefined) {
      const all: string[] = [];
      this.consumerPrincipals.set(consumer.credential, (principals = all));
      // One resource policy per secret: every role of the credential is named in it.
      new secretsmanager.CfnResourcePolicy(this, `ConsumerPolicy${encodeURIComponent(consumer.credential)}`, {
        secretId: name,
        blockPublicPolicy: true,
        resourcePolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ConsumerReadsItsOwnKey',
              Effect: 'Allow',
              Principal: { AWS: Lazy.any({ produce: () => (all.length === 1 ? all[0] : [...all]) }) },
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              // In a secret's resource policy, * is that secret.
              Resource: '*',
            },
          ],
        },
      });
    }
    if (principals.includes(consumer.principalArn)) return;
    principals.push(consumer.principalArn);
    const digest = createHash('sha256')
      .update(`${consumer.credential} ${consumer.principalArn}`)
      .digest('hex');
    this.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ConsumerDecrypts${digest.slice(0, 16)}`,
        principals: [new iam.ArnPrincipal(consumer.principalArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          // A secret's ARN ends with - and six random characters.
          StringLike: {
            'kms:EncryptionContext:SecretARN': `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${name}-??????`,
          },
        },
      }),
    );
  }

  private createBuckets(): { reportBucket: s3.Bucket; accessLogs: s3.Bucket } {
    const options = this.options.reportBucket;
    // With the feature flag, S3 log delivery is authorized by bucket policy and ACLs can stay off.
    const policyDelivery = FeatureFlags.of(this).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY) === true;
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: policyDelivery
        ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
        : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(options.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const retention = Duration.days(options.retentionDays);
    const reportBucket = new s3.Bucket(this, 'Reports', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        options.lockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: options.removalPolicy,
    });
    return { reportBucket, accessLogs };
  }

  private createFunction(
    name: string,
    entry: string,
    retention: logs.RetentionDays,
    extra: Partial<nodejs.NodejsFunctionProps> & { environment: Record<string, string> },
  ): { fn: nodejs.NodejsFunction; logGroup: logs.LogGroup } {
    const logGroup = new logs.LogGroup(this, `${name}Logs`, {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Its own role: no AWS managed policy; logs only to its own log group.
    const role = new iam.Role(this, `${name}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `keyrot: execution role of ${name}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const fn = new nodejs.NodejsFunction(this, name, {
      role,
      entry: join(ROOT, entry),
      handler: 'handler',
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      projectRoot: ROOT,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        // The SDK is bundled: the functions run the versions this repository tests.
        externalModules: [],
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // CommonJS dependencies inside an ES module still call require().
        banner:
          "import { createRequire as __keyrotCreateRequire } from 'node:module'; const require = __keyrotCreateRequire(import.meta.url);",
        // esbuild is a devDependency: bundle here, never in Docker.
        forceDockerBundling: false,
      },
      ...extra,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'keyrot',
        ...extra.environment,
      },
    });
    // CDK makes the function depend on its role as well as reading the role's ARN; cfn-lint's W3005 says the
    // DependsOn is redundant, which is harmless.
    (fn.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3005'] },
    });
    return { fn, logGroup };
  }

  private createSchedule(): scheduler.Schedule {
    const options = this.options.schedule;
    // Scheduler's role, in this construct: invoke the reconciler, park undeliverable events.
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'keyrot: EventBridge Scheduler invokes the reconciler',
    });
    const schedule = new scheduler.Schedule(this, 'DailySchedule', {
      description: 'keyrot: run the reconciler once a day',
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(options.minute),
        hour: String(options.hour),
        timeZone: TimeZone.of(options.timeZone),
      }),
      timeWindow:
        options.flexibleWindow.toMinutes() === 0
          ? scheduler.TimeWindow.off()
          : scheduler.TimeWindow.flexible(options.flexibleWindow),
      enabled: options.enabled,
      target: new targets.LambdaInvoke(this.reconciler, {
        role,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: options.retryAttempts,
        maxEventAge: options.maxEventAge,
        // What the handler reads as a scheduled run.
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'aws.scheduler',
          'detail-type': 'Scheduled Event',
          id: scheduler.ContextAttribute.executionId,
          time: scheduler.ContextAttribute.scheduledTime,
          resources: [scheduler.ContextAttribute.scheduleArn],
        }),
      }),
    });
    acknowledgeIam5(role, [
      [
        `Resource::${ref(this.reconciler, 'Arn')}:*`,
        'The grant covers the versions of the reconciler; the schedule invokes its unqualified ARN.',
      ],
    ]);
    return schedule;
  }

  private eventBusArn(): string | undefined {
    const bus = this.config.eventBusName;
    if (bus === null) return undefined;
    if (bus.startsWith('arn:')) return bus;
    return `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${bus}`;
  }

  /** Every IAM5 finding (a wildcard in a resource) that AWS leaves no narrower choice for, with its reason. */
  private acknowledgeWildcards(): void {
    // cdk-nag names a resource by its ARN, with <AWS::...> for the pseudo parameters.
    const apigw = (path: string) => `Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}`;
    const secrets = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.config.secretPrefix}*`;
    const shared: [string, string][] = [
      [
        apigw('/apikeys/*'),
        'API key ids are created at run time by rotations; the path limits the role to API keys.',
      ],
      [
        apigw('/usageplans/*'),
        'Read-only: the usage plans, their keys and usage; plan ids are only known at run time.',
      ],
      [
        apigw('/usageplans/*/keys'),
        'A new key joins the usage plans of the key it replaces, known only at run time; the path allows only attaching keys.',
      ],
      [
        apigw('/tags/*'),
        'TagResource and UntagResource on an API key are authorized on /tags/<url-encoded key ARN>; key ids are created at run time.',
      ],
      [
        secrets,
        "Credentials are onboarded at run time; the name prefix limits the role to keyrot's secrets.",
      ],
    ];
    acknowledgeIam5(this.rotationFunction.role!, shared);
    acknowledgeIam5(this.reconciler.role!, [
      ...shared,
      [apigw('/restapis/*'), 'Read-only (GET) posture checks of the REST APIs that usage plans open.'],
      [
        'Resource::*',
        'ListSecrets has no resource-level permission; PutMetricData has none either and is conditioned on the namespace.',
      ],
      [
        `Resource::${ref(this.reportBucket, 'Arn')}/runs/*`,
        'Each run writes its own report objects under runs/.',
      ],
    ]);
  }

  private createAlarmTopic(): sns.Topic {
    // Its own key: CloudWatch may use it to publish alarms, and it protects nothing else.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'keyrot: encrypts the alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'Alarms', {
      displayName: 'keyrot alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: CloudWatch may publish, for this account's alarms only.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    return topic;
  }

  private createAlarms(): Record<AlarmName, cloudwatch.Alarm> {
    const { alarms: options, schedule } = this.options;
    // A daily run may start as late as the flexible window and finish after Lambda's retries.
    const latestMinutes =
      24 * 60 +
      schedule.flexibleWindow.toMinutes() +
      (RECONCILER_RETRIES + 1) * RECONCILER_TIMEOUT.toMinutes();
    const specs = alarmSpecs({
      quotaUsedPercent: options.quotaUsedPercent,
      heartbeatPeriod: Duration.hours(Math.ceil((latestMinutes + 30) / 60)),
    });
    const action = new actions.SnsAction(this.alarmTopic);
    const created = {} as Record<AlarmName, cloudwatch.Alarm>;
    for (const spec of specs) {
      const alarm = new cloudwatch.Alarm(this, spec.name, {
        alarmName: `${options.namePrefix}${spec.name}`,
        alarmDescription: alarmDescription(spec, options.runbookBaseUrl),
        metric: this.alarmMetric(spec),
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: spec.missing,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      created[spec.name] = alarm;
    }
    return created;
  }

  private alarmMetric(spec: AlarmSpec): cloudwatch.IMetric {
    const options = { period: spec.period, statistic: spec.statistic };
    switch (spec.source.kind) {
      case 'keyrot':
        return new cloudwatch.Metric({
          namespace: this.config.metricNamespace,
          metricName: spec.source.metricName,
          ...options,
        });
      case 'reconciler-errors':
        return this.reconciler.metricErrors(options);
      case 'rotation-function-errors':
        return this.rotationFunction.metricErrors(options);
      case 'dead-letter-queue':
        return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(options);
    }
  }

  private createDashboard(): cloudwatch.Dashboard {
    const daily = (metricName: string, statistic = 'Sum', label?: string) =>
      new cloudwatch.Metric({
        namespace: this.config.metricNamespace,
        metricName,
        statistic,
        period: Duration.days(1),
        ...(label !== undefined && { label }),
      });
    const hourly = { period: Duration.hours(1) };
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      more: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...more });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(90),
    });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'keyrot alarms',
        alarms: Object.values(this.alarms),
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(
      graph('Rotations per day', [daily(METRIC.keysRotated), daily(METRIC.rotationFailures)]),
      graph('Retirements per day', [
        daily(METRIC.keysDisabled),
        daily(METRIC.keysDeleted),
        daily(METRIC.keysInGrace, 'Maximum'),
      ]),
    );
    dashboard.addWidgets(
      graph('Hygiene findings', [
        daily(METRIC.overdueKeys, 'Maximum'),
        daily(METRIC.unusedKeys, 'Maximum'),
        daily(METRIC.orphanedKeys, 'Maximum'),
        daily(METRIC.lingeringKeys, 'Maximum'),
        daily(METRIC.unmanagedKeys, 'Maximum'),
        daily(METRIC.findings, 'Maximum', 'All findings'),
      ]),
      graph('Keys and quota', [daily(METRIC.totalKeys, 'Maximum'), daily(METRIC.managedKeys, 'Maximum')], {
        right: [daily(METRIC.quotaUsedPercent, 'Maximum')],
        rightYAxis: { min: 0, max: 100, label: '% of quota' },
        rightAnnotations: [{ value: this.options.alarms.quotaUsedPercent, label: 'KeyQuotaNearLimit' }],
      }),
    );
    dashboard.addWidgets(
      graph(
        'Runs',
        [
          daily(METRIC.heartbeat, 'Sum', 'Completed runs'),
          daily(METRIC.actionFailures),
          daily(METRIC.deferredActions),
        ],
        { right: [daily(METRIC.runDuration, 'Maximum')] },
      ),
      graph('Pacing', [daily(METRIC.throttledCalls)], { right: [daily(METRIC.pacingWait, 'Maximum')] }),
    );
    dashboard.addWidgets(
      graph(
        'Reconciler Lambda',
        [this.reconciler.metricErrors(hourly), this.reconciler.metricThrottles(hourly)],
        {
          right: [this.reconciler.metricDuration({ ...hourly, statistic: 'Maximum' })],
        },
      ),
      graph('Rotation function and dead letters', [
        this.rotationFunction.metricErrors(hourly),
        this.rotationFunction.metricInvocations(hourly),
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...hourly, statistic: 'Maximum' }),
      ]),
    );
    return dashboard;
  }
}

/** Acknowledges AwsSolutions-IAM5 findings (a wildcard in an action or resource), each with its reason. */
function acknowledgeIam5(scope: Construct, findings: [string, string][]): void {
  for (const [finding, reason] of findings) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** How cdk-nag names a resource in a finding: <LogicalId> or <LogicalId.Attribute>. */
function ref(construct: Construct, attribute?: string): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  const id = Stack.of(construct).getLogicalId(resource);
  return `<${id}${attribute === undefined ? '' : `.${attribute}`}>`;
}
