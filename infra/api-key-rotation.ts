import { Aws, CfnElement, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
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
import { Construct } from 'constructs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../functions/core/config.js';
import { METRIC } from '../functions/core/metrics.js';
import { ALARMS, METRIC_ALARMS, runbookDescription } from './alarms.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ConsumerAccess {
  /** The credential whose secret (<secretPrefix><credential>) the principal may read. */
  credential: string;
  /** A role in another account, e.g. arn:aws:iam::111122223333:role/partner-app. */
  principalArn: string;
}

export interface ApiKeyRotationProps {
  /** The service's configuration (policies, prefixes, hygiene...), as in keyrot.json; validated at synth. */
  config?: unknown;
  /** Daily by default at 03:00 in the time zone. */
  schedule?: {
    cron?: { minute?: string; hour?: string; weekDay?: string };
    timeZone?: string;
    flexibleWindow?: Duration;
  };
  /** Where alarms go: an existing topic, and/or an email subscribed to a new one. */
  alarmTopic?: sns.ITopic;
  alarmEmail?: string;
  reportBucket?: {
    /** Object Lock default retention of every report (days); default 400. */
    retentionDays?: number;
    /** GOVERNANCE (can be lifted with a special permission) or COMPLIANCE (nobody can); default GOVERNANCE. */
    lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
    removalPolicy?: RemovalPolicy;
  };
  /** Consumers in other accounts that may read their own secret. */
  consumers?: ConsumerAccess[];
  logRetention?: logs.RetentionDays;
  /** Prefix of every runbook link in alarm descriptions: a repository URL in production. */
  runbookBaseUrl?: string;
}

/**
 * keyrot in one construct: the scheduled reconciler, the Secrets Manager rotation function, the report
 * bucket, alarms that link their runbooks, a dashboard, and least-privilege roles.
 */
export class ApiKeyRotation extends Construct {
  readonly config: Config;
  readonly reconciler: nodejs.NodejsFunction;
  readonly rotationFunction: nodejs.NodejsFunction;
  readonly reportBucket: s3.Bucket;
  readonly alarmTopic: sns.ITopic;
  readonly secretsKey: kms.Key;
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ApiKeyRotationProps = {}) {
    super(scope, id);
    this.config = parseConfig(props.config ?? {}, `${id} config`);
    const config = this.config;
    const runbooks = props.runbookBaseUrl ?? 'runbooks/';
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const secretArns = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${config.secretPrefix}*`;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Encrypts the API key secrets managed by keyrot',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the report bucket; logging it to itself would loop.',
    });

    this.reportBucket = new s3.Bucket(this, 'Reports', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        props.reportBucket?.lockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(props.reportBucket?.retentionDays ?? 400))
          : s3.ObjectLockRetention.governance(Duration.days(props.reportBucket?.retentionDays ?? 400)),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'reports/',
      removalPolicy: props.reportBucket?.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the reconciler and its schedule.',
    });

    const bundling: nodejs.BundlingOptions = {
      format: nodejs.OutputFormat.ESM,
      target: 'node24',
      sourceMap: true,
      minify: true,
      // The SDK is bundled: the function runs the versions this repository tests.
      externalModules: [],
      mainFields: ['module', 'main'],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      forceDockerBundling: false,
    };
    const fn = (name: string, entry: string, extra: Partial<nodejs.NodejsFunctionProps>) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, {
        retention,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // Its own role: logs only to its own log group, no AWS managed policy.
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      this.acknowledge(role, [
        [
          `Resource::${ref(logGroup, 'Arn')}`,
          "Lambda creates log streams at run time inside the function's own log group.",
        ],
      ]);
      return new nodejs.NodejsFunction(this, name, {
        role,
        entry: join(ROOT, entry),
        depsLockFilePath: join(ROOT, 'package-lock.json'),
        projectRoot: ROOT,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 1024,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        bundling,
        ...extra,
        environment: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'keyrot',
          ...extra.environment,
        },
      });
    };

    this.rotationFunction = fn('RotationFunction', 'functions/rotation.ts', {
      description: 'keyrot: the Secrets Manager rotation function of API key secrets',
      // testSecret's canary retries for up to a minute.
      timeout: Duration.minutes(5),
      environment: {
        KEYROT_CONFIG: JSON.stringify({ ...config, secretKmsKeyId: this.secretsKey.keyArn }),
      },
    });
    // Secrets Manager invokes it for this account's managed secrets only.
    this.rotationFunction.addPermission('SecretsManagerInvoke', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: Aws.ACCOUNT_ID,
      action: 'lambda:InvokeFunction',
    });

    this.reconciler = fn('Reconciler', 'functions/reconciler.ts', {
      description: 'keyrot: the daily reconciler (rotate, retire, hygiene, report)',
      timeout: Duration.minutes(15),
      // Two runs never overlap.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      environment: {
        KEYROT_CONFIG: JSON.stringify({
          ...config,
          rotationLambdaArn: this.rotationFunction.functionArn,
          secretKmsKeyId: this.secretsKey.keyArn,
        }),
        REPORT_BUCKET: this.reportBucket.bucketName,
      },
    });

    this.grantApiGateway(this.reconciler, true);
    this.grantApiGateway(this.rotationFunction, false);
    this.grantSecrets(this.reconciler, secretArns, [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:RotateSecret',
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
    ]);
    this.grantSecrets(this.rotationFunction, secretArns, [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    this.reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListManagedSecrets',
        actions: ['secretsmanager:ListSecrets'],
        // ListSecrets has no resource-level permissions.
        resources: ['*'],
      }),
    );
    // RotateSecret needs the caller to be allowed to invoke the rotation function.
    this.reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RotateWithTheRotationFunction',
        actions: ['lambda:InvokeFunction'],
        resources: [this.rotationFunction.functionArn],
      }),
    );
    this.reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': config.metricNamespace } },
      }),
    );
    if (config.eventBusName !== null) {
      this.reconciler.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'PutEvents',
          actions: ['events:PutEvents'],
          resources: [
            config.eventBusName === 'default'
              ? `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`
              : `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${config.eventBusName}`,
          ],
        }),
      );
    }
    this.reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteReports',
        actions: ['s3:PutObject'],
        resources: [this.reportBucket.arnForObjects('runs/*')],
      }),
    );
    for (const f of [this.reconciler, this.rotationFunction]) {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'SecretsKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [this.secretsKey.keyArn],
        }),
      );
    }

    new scheduler.Schedule(this, 'DailySchedule', {
      description: 'keyrot: run the reconciler once a day',
      schedule: scheduler.ScheduleExpression.cron({
        minute: props.schedule?.cron?.minute ?? '0',
        hour: props.schedule?.cron?.hour ?? '3',
        ...(props.schedule?.cron?.weekDay !== undefined ? { weekDay: props.schedule.cron.weekDay } : {}),
        timeZone: TimeZone.of(props.schedule?.timeZone ?? 'Etc/UTC'),
      }),
      timeWindow: scheduler.TimeWindow.flexible(props.schedule?.flexibleWindow ?? Duration.minutes(15)),
      target: new targets.LambdaInvoke(this.reconciler, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(2),
      }),
    });

    this.acknowledgeWildcards();
    for (const consumer of props.consumers ?? []) this.grantConsumer(consumer);

    this.alarmTopic =
      props.alarmTopic ??
      new sns.Topic(this, 'Alarms', {
        displayName: 'keyrot alarms',
        masterKey: this.secretsKey,
        enforceSSL: true,
      });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.secretsKey.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    this.createAlarms(runbooks);
    this.createDashboard();
  }

  private acknowledge(scope: Construct, findings: [string, string][]): void {
    for (const [finding, reason] of findings) {
      Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }

  /** The wildcards AWS leaves no narrower choice for, each with its reason. */
  private acknowledgeWildcards(): void {
    const apigw = (path: string) => `Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}`;
    const secrets = `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.config.secretPrefix}*`;
    const shared: [string, string][] = [
      [
        apigw('/apikeys/*'),
        'API key ids are created at run time by rotations; the path limits the role to API keys.',
      ],
      [apigw('/usageplans/*'), 'Keys join the usage plans of the key they replace, known only at run time.'],
      [
        apigw('/tags/*'),
        'TagResource on an API key is authorized on /tags/<key ARN>; key ids are created at run time.',
      ],
      [
        secrets,
        "Credentials are onboarded at run time; the name prefix limits the role to keyrot's secrets.",
      ],
    ];
    this.acknowledge(this.reconciler.role!, [
      ...shared,
      [apigw('/restapis/*'), 'Read-only (GET) posture checks over every REST API that a usage plan opens.'],
      [
        'Resource::*',
        'ListSecrets has no resource-level permission; PutMetricData is conditioned on the namespace.',
      ],
      [
        `Resource::${ref(this.reportBucket, 'Arn')}/runs/*`,
        'Each run writes its own report objects under runs/.',
      ],
    ]);
    this.acknowledge(this.rotationFunction.role!, shared);
    // The scheduler target's role is created at stack level by aws-scheduler-targets.
    for (const child of Stack.of(this).node.children) {
      if (!child.node.id.startsWith('SchedulerRoleForTarget')) continue;
      this.acknowledge(child, [
        [
          `Resource::${ref(this.reconciler, 'Arn')}:*`,
          "The target grant covers the function's versions; it is not versioned.",
        ],
      ]);
    }
  }

  /** API Gateway: API keys, usage plans, their tags; read-only on REST APIs for posture checks. */
  private grantApiGateway(fn: lambda.IFunction, reconciler: boolean): void {
    const base = `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::`;
    const keys = [`${base}/apikeys`, `${base}/apikeys/*`];
    const plans = [`${base}/usageplans`, `${base}/usageplans/*`];
    const tags = [`${base}/tags/*`];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ManageApiKeys',
        actions: reconciler
          ? ['apigateway:GET', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE', 'apigateway:PUT']
          : ['apigateway:GET', 'apigateway:POST', 'apigateway:PUT'],
        resources: [...keys, ...plans, ...tags],
      }),
    );
    if (reconciler) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadApisForPosture',
          actions: ['apigateway:GET'],
          resources: [`${base}/restapis`, `${base}/restapis/*`],
        }),
      );
    }
  }

  private grantSecrets(fn: lambda.IFunction, secretArns: string, actionsAllowed: string[]): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ManagedSecrets', actions: actionsAllowed, resources: [secretArns] }),
    );
  }

  /** Opt-in: a named role in another account reads its own credential's secret, and nothing else. */
  private grantConsumer(consumer: ConsumerAccess): void {
    const name = `${this.config.secretPrefix}${consumer.credential}`;
    const secret = secretsmanager.Secret.fromSecretNameV2(this, `Consumer-${consumer.credential}`, name);
    new secretsmanager.CfnResourcePolicy(this, `ConsumerPolicy-${consumer.credential}`, {
      secretId: name,
      blockPublicPolicy: true,
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ConsumerReadsItsOwnKey',
            Effect: 'Allow',
            Principal: { AWS: consumer.principalArn },
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: '*',
            Condition: { StringEquals: { 'secretsmanager:VersionStage': 'AWSCURRENT' } },
          },
        ],
      },
    });
    this.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ConsumerDecrypt${consumer.credential.replace(/[^A-Za-z0-9]/g, '')}`,
        principals: [new iam.ArnPrincipal(consumer.principalArn)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': `${secret.secretArn}-??????` },
        },
      }),
    );
  }

  private alarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: {
      threshold: number;
      comparison: cloudwatch.ComparisonOperator;
      missing: cloudwatch.TreatMissingData;
      summary: string;
    },
    runbooks: string,
  ) {
    const alarm = new cloudwatch.Alarm(this, name, {
      alarmName: name,
      metric,
      threshold: options.threshold,
      evaluationPeriods: 1,
      comparisonOperator: options.comparison,
      treatMissingData: options.missing,
      alarmDescription: runbookDescription(options.summary, name, runbooks),
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }

  private createAlarms(runbooks: string): void {
    for (const a of METRIC_ALARMS) {
      const metric = new cloudwatch.Metric({
        namespace: this.config.metricNamespace,
        metricName: a.metricName,
        statistic: a.statistic,
        period: a.period,
      });
      this.alarm(
        a.name,
        metric,
        { threshold: a.threshold, comparison: a.comparison, missing: a.missing, summary: a.summary },
        runbooks,
      );
    }
    const errors = {
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    this.alarm(
      ALARMS.reconcilerErrors,
      this.reconciler.metricErrors({ period: Duration.hours(1) }),
      { ...errors, summary: 'The reconciler Lambda failed.' },
      runbooks,
    );
    this.alarm(
      ALARMS.rotationFunctionErrors,
      this.rotationFunction.metricErrors({ period: Duration.hours(1) }),
      { ...errors, summary: 'The rotation function failed a step.' },
      runbooks,
    );
    this.alarm(
      ALARMS.deadLetterQueue,
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(15),
        statistic: 'Maximum',
      }),
      { ...errors, summary: 'An invocation of the reconciler ended in the dead-letter queue.' },
      runbooks,
    );
  }

  private createDashboard(): void {
    const m = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: this.config.metricNamespace,
        metricName,
        statistic,
        period: Duration.days(1),
      });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Rotations',
            left: [m(METRIC.keysRotated), m(METRIC.rotationFailures)],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Retirements',
            left: [m(METRIC.keysDisabled), m(METRIC.keysDeleted)],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Hygiene',
            left: [
              m(METRIC.unusedKeys, 'Maximum'),
              m(METRIC.orphanedKeys, 'Maximum'),
              m(METRIC.lingeringKeys, 'Maximum'),
              m(METRIC.unmanagedKeys, 'Maximum'),
              m(METRIC.overdueKeys, 'Maximum'),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Keys and quota',
            left: [m(METRIC.totalKeys, 'Maximum'), m(METRIC.managedKeys, 'Maximum')],
            right: [m(METRIC.quotaUsedPercent, 'Maximum')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Runs',
            left: [m(METRIC.heartbeat)],
            right: [m(METRIC.runDuration, 'Maximum')],
            width: 24,
          }),
        ],
      ],
    });
  }
}

/** How cdk-nag names a resource in a finding: <LogicalId> or <LogicalId.Attribute>. */
function ref(construct: Construct, attribute?: string): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  const id = Stack.of(construct).getLogicalId(resource);
  return `<${id}${attribute === undefined ? '' : `.${attribute}`}>`;
}
