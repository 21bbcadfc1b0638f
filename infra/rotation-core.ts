import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  CfnElement,
  CustomResource,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  TimeZone,
  Validations,
} from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { parseConfig, type Config } from '../functions/core/config.js';
import { accountRoot } from '../functions/core/consumers.js';
import { secretsKeyAlias } from '../functions/core/secrets-key-alias.js';
import { accessLogsBucket, logOwnership } from './buckets.js';
import { OPERATOR_USES, type OperatorUse } from './operator-permissions.js';
import { RECONCILER, ROTATION, statementsOf, wildcardAcknowledgements, type Targets } from './permissions.js';
import {
  consumerProblems,
  resolveCore,
  type ConsumerAccess,
  type KeyrotSettings,
  type ReconcilerScheduleOptions,
} from './props.js';
import { RECONCILER_NODE_OPTIONS } from './reconciler-runtime.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The installed package ships the functions prebuilt (scripts/build-package.ts copies the bundles this
 * repository's synth makes and its tests run): an app that installs keyrot needs no esbuild and no
 * TypeScript sources. In a clone there is no such folder, and the sources are bundled at synth.
 */
const PREBUILT = join(ROOT, 'lambda');

/** How long the lease bucket's own access logs are kept, when the core has no report store's to share. */
const LEASE_ACCESS_LOG_DAYS = 90;

/** The reconciler's Lambda timeout; the run stops starting actions two minutes before it. */
const RECONCILER_TIMEOUT = Duration.minutes(15);
/** The reconciler's asynchronous retries after a failed run (Lambda's own, on top of Scheduler's). */
const RECONCILER_RETRIES = 2;

/**
 * ReconcilerRunMissing's window: a day, plus the latest a daily run may start (the schedule's flexible
 * window) and finish (every attempt of Lambda's retries running to the timeout), plus half an hour.
 */
export function heartbeatPeriod(flexibleWindow: Duration): Duration {
  const latestMinutes =
    24 * 60 + flexibleWindow.toMinutes() + (RECONCILER_RETRIES + 1) * RECONCILER_TIMEOUT.toMinutes();
  return Duration.hours(Math.ceil((latestMinutes + 30) / 60));
}

export interface RotationCoreProps {
  /** keyrot's configuration; see KeyrotSettings. @default the defaults of keyrot.json */
  readonly config?: KeyrotSettings;
  readonly schedule?: ReconcilerScheduleOptions;
  /** Where each run's report goes (runs/...). @default no report is stored; the run still logs its totals */
  readonly reportBucket?: s3.IBucket;
  /** Opt-in cross-account read access, one role per entry. @default none */
  readonly consumers?: ConsumerAccess[];
  /** Where the lease bucket's access logs go. @default a bucket of its own, logs kept 90 days */
  readonly accessLogsBucket?: s3.IBucket;
  /** Retention of the two functions' log groups. @default one year */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * What rotates keys: the daily reconciler (EventBridge Scheduler), the Secrets Manager rotation
 * function, a KMS key for the credentials' secrets, a dead-letter queue, and least-privilege roles
 * from the permission table (infra/permissions.ts). Usable alone; ReportStore and KeyrotMonitoring
 * add the reports and the on-call side.
 */
export class RotationCore extends Construct {
  /** The validated configuration, with defaults, as the functions read it. */
  readonly config: Config;
  readonly reconciler: lambda.Function;
  readonly rotationFunction: lambda.Function;
  readonly reconcilerLogGroup: logs.LogGroup;
  readonly rotationLogGroup: logs.LogGroup;
  readonly schedule: scheduler.Schedule;
  /** Failed asynchronous invocations of the reconciler, and schedule deliveries that failed every retry. */
  readonly deadLetterQueue: sqs.Queue;
  /** Encrypts the credentials' secrets (onboarding and adoption create them with it). */
  readonly secretsKey: kms.Key;
  /** Holds the run lease: one run at a time, scheduled or an operator's, spends API Gateway's share. */
  readonly leaseBucket: s3.Bucket;
  /** ReconcilerRunMissing's window: a day plus the latest a run may start and finish. */
  readonly heartbeatPeriod: Duration;
  /** The operators' least-privilege policies, one per on-call use (infra/operator-permissions.ts). */
  readonly operatorPolicies: Record<OperatorUse['id'], iam.ManagedPolicy>;

  private readonly options: ReturnType<typeof resolveCore>;
  private readonly consumerPrincipals = new Map<string, string[]>();

  constructor(scope: Construct, id: string, props: RotationCoreProps = {}) {
    super(scope, id);
    // Composed as a default child, the core speaks with its parent's name.
    const path = this.node.path.replace(/\/Default$/, '');
    const ownedByConstruct = ['rotationLambdaArn', 'secretKmsKeyId', 'leaseBucket'].filter((field) =>
      Object.hasOwn(props.config ?? {}, field),
    );
    if (ownedByConstruct.length > 0) {
      throw new Error(
        `${path} config is invalid: ${ownedByConstruct.join(', ')} are set by the construct (its rotation function, its KMS key, its lease bucket); remove them`,
      );
    }
    this.config = parseConfig(props.config ?? {}, `${path} config`);
    this.options = resolveCore(props, `${path} props`);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const secretArns = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${this.config.secretPrefix}*`;

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: `keyrot: encrypts the API key secrets ${this.config.secretPrefix}*`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The home region of a multi-region credential names this key by its alias when it replicates the
    // secret here (docs/multi-region.md): it can compute the name, not the key's ARN.
    this.secretsKey.addAlias(secretsKeyAlias(this.config.secretPrefix));

    // One small object, rewritten every 20 s of a run: no versions; access-logged like every keyrot
    // bucket (beside the reports' logs when there are reports), kept if the stack goes.
    const leaseLogs =
      props.accessLogsBucket ??
      accessLogsBucket(this, 'LeaseAccessLogs', LEASE_ACCESS_LOG_DAYS, logOwnership(this));
    this.leaseBucket = new s3.Bucket(this, 'LeaseBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: leaseLogs,
      serverAccessLogsPrefix: 'lease/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

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
      // No reserved concurrency: reserving any fails in accounts whose unreserved concurrency would drop
      // under 100 (new and low-quota accounts). Two runs at once are safe: Secrets Manager starts a
      // rotation once, the other run defers it (test/integration/faults/concurrent-runs.test.ts).
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: RECONCILER_RETRIES,
      environment: {
        KEYROT_CONFIG: this.functionConfig({
          rotationLambdaArn: this.rotationFunction.functionArn,
          leaseBucket: this.leaseBucket.bucketName,
        }),
        ...(props.reportBucket !== undefined && { REPORT_BUCKET: props.reportBucket.bucketName }),
        NODE_OPTIONS: RECONCILER_NODE_OPTIONS,
      },
    });
    this.reconciler = reconciler.fn;
    this.reconcilerLogGroup = reconciler.logGroup;
    // At stack creation the reconciler checks it can start and opens ReconcilerRunMissing's first window
    // (a RunCompleted datapoint of 0): no alarm from the deployment until the first scheduled run.
    const window = new CustomResource(this, 'HeartbeatWindow', {
      serviceToken: this.reconciler.functionArn,
      resourceType: 'Custom::KeyrotHeartbeatWindow',
    });
    // After the reconciler's permissions exist (PutMetricData is in its role's default policy).
    window.node.addDependency(this.reconciler);

    // One permission table gives the policies and their acknowledgements.
    const place = (style: 'tokens' | 'nag'): Targets => {
      const nag = style === 'nag';
      return {
        partition: nag ? '<AWS::Partition>' : Aws.PARTITION,
        region: nag ? '<AWS::Region>' : Aws.REGION,
        replicaRegions: this.config.replicaRegions,
        account: nag ? '<AWS::AccountId>' : Aws.ACCOUNT_ID,
        secretPrefix: this.config.secretPrefix,
        secretsKeyArn: nag ? ref(this.secretsKey, 'Arn') : this.secretsKey.keyArn,
        rotationFunctionArn: nag ? ref(this.rotationFunction, 'Arn') : this.rotationFunction.functionArn,
        reconcilerArn: nag ? ref(this.reconciler, 'Arn') : this.reconciler.functionArn,
        metricNamespace: this.config.metricNamespace,
        eventBusArn: this.eventBusArn(),
        securityHub: this.config.securityHub.enabled,
        leaseBucketArn: nag ? ref(this.leaseBucket, 'Arn') : this.leaseBucket.bucketArn,
        reportBucketArn:
          props.reportBucket === undefined
            ? undefined
            : nag
              ? ref(props.reportBucket, 'Arn')
              : props.reportBucket.bucketArn,
      };
    };
    for (const [role, grants] of [
      [this.rotationFunction, ROTATION],
      [this.reconciler, RECONCILER],
    ] as const) {
      for (const s of statementsOf(
        grants.filter((g) => g.ownPolicy !== true),
        place('tokens'),
      ))
        role.addToRolePolicy(s);
      const own = statementsOf(
        grants.filter((g) => g.ownPolicy === true),
        place('tokens'),
      );
      const ownGrants = grants.filter((g) => g.ownPolicy === true);
      if (own.length > 0) {
        const policy = new iam.Policy(this, `${role.node.id}OwnInvocation`, { statements: own });
        policy.attachToRole(role.role!);
        acknowledgeIam5(policy, wildcardAcknowledgements(ownGrants, place('nag')));
      }
      acknowledgeIam5(
        role.role!,
        wildcardAcknowledgements(
          grants.filter((g) => g.ownPolicy !== true),
          place('nag'),
        ),
      );
    }

    this.operatorPolicies = Object.fromEntries(
      OPERATOR_USES.map((use) => {
        const policy = new iam.ManagedPolicy(this, `${use.id}Policy`, {
          description: `keyrot: ${use.description}`,
          statements: statementsOf(use.grants, place('tokens')),
        });
        acknowledgeIam5(policy, wildcardAcknowledgements(use.grants, place('nag')));
        return [use.id, policy];
      }),
    ) as Record<OperatorUse['id'], iam.ManagedPolicy>;

    this.schedule = this.createSchedule();
    this.heartbeatPeriod = heartbeatPeriod(this.options.schedule.flexibleWindow);
    for (const consumer of this.options.consumers) this.addConsumer(consumer);
  }

  /**
   * KEYROT_CONFIG of a function: the configuration, with what this construct made (the secrets key)
   * and the consumers (known once every addConsumer call is made: rendered at synth).
   */
  private functionConfig(extra: Partial<Config> = {}): string {
    const consumers = Lazy.any({
      produce: () =>
        Object.fromEntries([...this.consumerPrincipals].map(([c, roles]) => [c, [...roles].sort()])),
    });
    return Stack.of(this).toJsonString({
      ...this.config,
      secretKmsKeyId: this.secretsKey.keyArn,
      consumers,
      ...extra,
    });
  }

  /**
   * Lets a role in another account read one credential's secret, and nothing else. The reconciler
   * puts the secret's resource policy at run time (the configuration's consumers), so the secret need
   * not exist yet; the secrets key lets the role decrypt only through Secrets Manager and only that
   * secret. Both name the role's account as principal, with a condition on the role: a policy naming a
   * role that does not exist yet is refused (MalformedPolicyDocumentException), an account always exists.
   */
  addConsumer(consumer: ConsumerAccess): void {
    const problems = consumerProblems(consumer, 'consumer');
    if (problems.length > 0)
      throw new Error(
        `${this.node.path.replace(/\/Default$/, '')} consumer is invalid: ${problems.join('; ')}`,
      );
    const name = `${this.config.secretPrefix}${consumer.credential}`;
    let principals = this.consumerPrincipals.get(consumer.credential);
    if (principals === undefined) this.consumerPrincipals.set(consumer.credential, (principals = []));
    if (principals.includes(consumer.principalArn)) return;
    principals.push(consumer.principalArn);
    const digest = createHash('sha256')
      .update(`${consumer.credential} ${consumer.principalArn}`)
      .digest('hex');
    this.secretsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ConsumerDecrypts${digest.slice(0, 16)}`,
        principals: [new iam.ArnPrincipal(accountRoot(consumer.principalArn))],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': consumer.principalArn },
          StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          // A secret's ARN ends with - and six random characters.
          StringLike: {
            'kms:EncryptionContext:SecretARN': `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${name}-??????`,
          },
        },
      }),
    );
  }

  private createFunction(
    name: string,
    entry: string,
    retention: logs.RetentionDays,
    extra: Partial<lambda.FunctionOptions> & { environment: Record<string, string> },
  ): { fn: lambda.Function; logGroup: logs.LogGroup } {
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
    const common = {
      role,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...extra,
      environment: {
        // No --enable-source-maps: it costs 6-7 MB at start and ~400 ms on the first error stack. The
        // bundles keep their function names (keepNames), and the .map beside each decodes a stack offline.
        POWERTOOLS_SERVICE_NAME: 'keyrot',
        ...extra.environment,
      },
    };
    const prebuilt = join(PREBUILT, name);
    const fn = existsSync(join(prebuilt, 'index.mjs'))
      ? new lambda.Function(this, name, {
          ...common,
          code: lambda.Code.fromAsset(prebuilt),
          handler: 'index.handler',
        })
      : new nodejs.NodejsFunction(this, name, {
          ...common,
          entry: join(ROOT, entry),
          handler: 'handler',
          depsLockFilePath: join(ROOT, 'package-lock.json'),
          projectRoot: ROOT,
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
}

/** Acknowledges AwsSolutions-IAM5 findings (a wildcard in an action or resource), each with its reason. */
function acknowledgeIam5(scope: Construct, findings: [string, string][]): void {
  for (const [finding, reason] of findings) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** How cdk-nag names a resource in a finding: <LogicalId> or <LogicalId.Attribute>. */
function ref(construct: IConstruct, attribute?: string): string {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  const id = Stack.of(construct).getLogicalId(resource);
  return `<${id}${attribute === undefined ? '' : `.${attribute}`}>`;
}
