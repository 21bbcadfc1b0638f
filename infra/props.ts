import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib/core';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as z from 'zod';
import type { ConfigSchema } from '../functions/core/config.js';

/**
 * keyrot's configuration (the same fields as keyrot.json, see the README): the rotation policies with
 * their period, grace and disable window (`policies`, `defaultPolicy`), which keys and secrets are
 * managed (`tagPrefix`, `secretPrefix`, `hygiene.unmanaged`), `hygiene`, `canaryUrl`,
 * `metricNamespace`, `eventBusName`, `staggerPercent`. Every field is optional and validated at synth
 * with the functions' own schema. The construct sets `rotationLambdaArn` and `secretKmsKeyId` itself.
 */
export type KeyrotSettings = Omit<z.input<typeof ConfigSchema>, 'rotationLambdaArn' | 'secretKmsKeyId'>;

/** When the reconciler runs: once a day. */
export interface ReconcilerScheduleOptions {
  /** Hour of the daily run (0-23) in `timeZone`. @default 3 */
  readonly hour?: number;
  /** @default 0 */
  readonly minute?: number;
  /** IANA time zone of `hour`, e.g. Europe/Paris. @default Etc/UTC */
  readonly timeZone?: string;
  /** The run starts at a random time within this window after `hour:minute`; zero turns it off. @default 15 minutes */
  readonly flexibleWindow?: Duration;
  /** EventBridge Scheduler's retries of an invocation it could not deliver (0-185). @default 2 */
  readonly retryAttempts?: number;
  /** How long Scheduler keeps retrying one delivery (1 minute to 24 hours). @default 2 hours */
  readonly maxEventAge?: Duration;
  /** false creates the schedule disabled (ReconcilerRunMissing then fires: that is intended). @default true */
  readonly enabled?: boolean;
}

export interface ReportBucketOptions {
  /** Object Lock default retention of every report object, in days. @default 400 */
  readonly retentionDays?: number;
  /**
   * COMPLIANCE: nobody can delete or overwrite a report's version, the root user included, until the
   * retention ends. GOVERNANCE (opt-in, for sandboxes): a principal allowed s3:BypassGovernanceRetention
   * can lift the retention; the bucket policy denies that to everyone but `breakGlassRoleArn`.
   * @default COMPLIANCE
   */
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /**
   * With GOVERNANCE: the one role that may bypass the retention (s3:BypassGovernanceRetention), for
   * a break-glass procedure. @default none: nobody may
   */
  readonly breakGlassRoleArn?: string;
  /** Server access logs of the report bucket are kept this many days. @default 400 */
  readonly accessLogRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Replicate every report (all of `runs/`) into the organization's central history bucket (a
   * log-archive account's, infra/organization/history-stack.ts): one history for auditors. @default none
   */
  readonly replication?: ReportReplicationOptions;
}

/** Where ReportStore replicates its reports: a versioned Object Lock bucket, usually in another account. */
export interface ReportReplicationOptions {
  /** The central bucket, e.g. arn:aws:s3:::acme-keyrot-history (it must have versioning and Object Lock). */
  readonly destinationBucketArn: string;
  /** The central bucket's account: replicas are owned by it (owner override). */
  readonly destinationAccount: string;
  /**
   * The KMS key replicas are encrypted with in the destination (its key policy must let the replication
   * roles of the organization use it). @default the destination bucket's default encryption
   */
  readonly destinationKmsKeyArn?: string;
}

export type ResolvedReportBucket = Required<
  Omit<ReportBucketOptions, 'replication' | 'breakGlassRoleArn'>
> & {
  replication?: ReportReplicationOptions | undefined;
  breakGlassRoleArn?: string | undefined;
};

/**
 * A consumer in another account that may read its own credential's secret. The secret
 * (`<secretPrefix><credential>`, created by `keyrot onboard` or adoption) and the role must exist
 * before the deployment that adds the consumer: AWS checks both when the policies are written.
 */
export interface ConsumerAccess {
  /** The credential whose secret the role may read. */
  readonly credential: string;
  /** An IAM role, e.g. arn:aws:iam::111122223333:role/partner-app (not an account root). */
  readonly principalArn: string;
}

export interface AlarmOptions {
  /** KeyQuotaNearLimit fires at this percentage of the 10,000 keys per region. @default 90 */
  readonly quotaUsedPercent?: number;
  /** Prefix of every alarm name, when several instances share an account and region. @default none */
  readonly namePrefix?: string;
}

export interface ApiKeyRotationProps extends MonitoringAlarmProps {
  /** keyrot's configuration; see KeyrotSettings. @default the defaults of keyrot.json */
  readonly config?: KeyrotSettings;
  readonly schedule?: ReconcilerScheduleOptions;
  readonly reportBucket?: ReportBucketOptions;
  /** Opt-in cross-account read access, one role per entry. @default none */
  readonly consumers?: ConsumerAccess[];
  /** Retention of the two functions' log groups. @default one year */
  readonly logRetention?: logs.RetentionDays;
}

/** Where the alarms go and what their descriptions point to. */
export interface MonitoringAlarmProps {
  /** An existing topic for the alarms. @default a new topic, encrypted with its own KMS key */
  readonly alarmTopic?: sns.ITopic;
  /** An email address subscribed to the alarm topic (the address must confirm the subscription). */
  readonly alarmEmail?: string;
  /** Prefix of the runbook path that ends every alarm description, e.g. a repository URL. @default runbooks/ */
  readonly runbookBaseUrl?: string;
  readonly alarms?: AlarmOptions;
}

export type ResolvedAlarms = Required<AlarmOptions> & {
  topic?: sns.ITopic | undefined;
  email?: string | undefined;
  runbookBaseUrl: string;
};

/** The props with every default applied (the configuration is validated separately). */
export interface ResolvedOptions {
  schedule: Required<ReconcilerScheduleOptions>;
  alarms: ResolvedAlarms;
  reportBucket: ResolvedReportBucket;
  consumers: ConsumerAccess[];
}

type Check = (ok: boolean, problem: string) => void;

/** Collects the problems of some props and throws once, naming every one of them. */
function validated<T>(source: string, resolve: (check: Check, problems: string[]) => T): T {
  const problems: string[] = [];
  const value = resolve((ok, problem) => {
    if (!ok) problems.push(problem);
  }, problems);
  if (problems.length > 0) throw new Error(`${source} is invalid: ${problems.join('; ')}`);
  return value;
}

/** An AWS account id, and an AWS Organizations organization id: what every keyrot prop names them by. */
export const ACCOUNT_ID = /^\d{12}$/;
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

const integer = (value: number, min: number, max: number) =>
  Token.isUnresolved(value) || (Number.isInteger(value) && value >= min && value <= max);

function scheduleOf(props: ReconcilerScheduleOptions | undefined, check: Check) {
  const schedule: Required<ReconcilerScheduleOptions> = {
    hour: props?.hour ?? 3,
    minute: props?.minute ?? 0,
    timeZone: props?.timeZone ?? 'Etc/UTC',
    flexibleWindow: props?.flexibleWindow ?? Duration.minutes(15),
    retryAttempts: props?.retryAttempts ?? 2,
    maxEventAge: props?.maxEventAge ?? Duration.hours(2),
    enabled: props?.enabled ?? true,
  };
  check(integer(schedule.hour, 0, 23), `schedule.hour: an integer from 0 to 23 (got ${schedule.hour})`);
  check(integer(schedule.minute, 0, 59), `schedule.minute: an integer from 0 to 59 (got ${schedule.minute})`);
  check(
    validTimeZone(schedule.timeZone),
    `schedule.timeZone: an IANA time zone such as Europe/Paris (got ${JSON.stringify(schedule.timeZone)})`,
  );
  const window = schedule.flexibleWindow.toMinutes({ integral: false });
  check(
    Number.isInteger(window) && window >= 0 && window <= 1440,
    `schedule.flexibleWindow: whole minutes from 0 to 1440 (got ${window})`,
  );
  check(
    integer(schedule.retryAttempts, 0, 185),
    `schedule.retryAttempts: an integer from 0 to 185 (got ${schedule.retryAttempts})`,
  );
  const age = schedule.maxEventAge.toSeconds({ integral: false });
  check(age >= 60 && age <= 86_400, `schedule.maxEventAge: from 1 minute to 24 hours (got ${age} s)`);
  return schedule;
}

function alarmsOf(props: MonitoringAlarmProps, check: Check): ResolvedAlarms {
  const alarms = {
    topic: props.alarmTopic,
    email: props.alarmEmail,
    quotaUsedPercent: props.alarms?.quotaUsedPercent ?? 90,
    namePrefix: props.alarms?.namePrefix ?? '',
    runbookBaseUrl: props.runbookBaseUrl ?? 'runbooks/',
  };
  check(
    alarms.email === undefined ||
      Token.isUnresolved(alarms.email) ||
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarms.email),
    `alarmEmail: an email address (got ${JSON.stringify(alarms.email)})`,
  );
  check(
    alarms.quotaUsedPercent > 0 && alarms.quotaUsedPercent <= 100,
    `alarms.quotaUsedPercent: more than 0, at most 100 (got ${alarms.quotaUsedPercent})`,
  );
  check(
    /^[A-Za-z0-9_.-]{0,200}$/.test(alarms.namePrefix),
    `alarms.namePrefix: letters, digits, _ . - only (got ${JSON.stringify(alarms.namePrefix)})`,
  );
  return alarms;
}

function reportBucketOf(props: ReportBucketOptions | undefined, check: Check, label = 'reportBucket.') {
  const reportBucket: ResolvedReportBucket = {
    retentionDays: props?.retentionDays ?? 400,
    lockMode: props?.lockMode ?? 'COMPLIANCE',
    breakGlassRoleArn: props?.breakGlassRoleArn,
    accessLogRetentionDays: props?.accessLogRetentionDays ?? 400,
    removalPolicy: props?.removalPolicy ?? RemovalPolicy.RETAIN,
    replication: props?.replication,
  };
  const replication = reportBucket.replication;
  if (replication !== undefined) {
    const { destinationBucketArn: arn, destinationAccount: account, destinationKmsKeyArn: key } = replication;
    check(
      Token.isUnresolved(arn) || /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn),
      `${label}replication.destinationBucketArn: a bucket ARN such as arn:aws:s3:::acme-keyrot-history (got ${JSON.stringify(arn)})`,
    );
    check(
      Token.isUnresolved(account) || ACCOUNT_ID.test(account),
      `${label}replication.destinationAccount: a 12-digit account id (got ${JSON.stringify(account)})`,
    );
    check(
      key === undefined ||
        Token.isUnresolved(key) ||
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(key),
      `${label}replication.destinationKmsKeyArn: a KMS key ARN (got ${JSON.stringify(key)})`,
    );
  }
  check(
    integer(reportBucket.retentionDays, 1, 36_500),
    `${label}retentionDays: whole days from 1 to 36500 (got ${reportBucket.retentionDays})`,
  );
  check(
    reportBucket.lockMode === 'GOVERNANCE' || reportBucket.lockMode === 'COMPLIANCE',
    `${label}lockMode: GOVERNANCE or COMPLIANCE (got ${JSON.stringify(reportBucket.lockMode)})`,
  );
  const breakGlass = reportBucket.breakGlassRoleArn;
  check(
    breakGlass === undefined ||
      Token.isUnresolved(breakGlass) ||
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(breakGlass),
    `${label}breakGlassRoleArn: an IAM role ARN (got ${JSON.stringify(breakGlass)})`,
  );
  check(
    breakGlass === undefined || reportBucket.lockMode === 'GOVERNANCE',
    `${label}breakGlassRoleArn: only with lockMode GOVERNANCE (COMPLIANCE retention can't be bypassed)`,
  );
  check(
    integer(reportBucket.accessLogRetentionDays, 1, 36_500),
    `${label}accessLogRetentionDays: whole days from 1 to 36500 (got ${reportBucket.accessLogRetentionDays})`,
  );
  return reportBucket;
}

type CoreProps = {
  schedule?: ReconcilerScheduleOptions | undefined;
  consumers?: ConsumerAccess[] | undefined;
};

function coreOf(
  props: CoreProps,
  check: Check,
  problems: string[],
): Pick<ResolvedOptions, 'schedule' | 'consumers'> {
  const schedule = scheduleOf(props.schedule, check);
  const consumers = props.consumers ?? [];
  consumers.forEach((c, i) => problems.push(...consumerProblems(c, `consumers.${i}`)));
  return { schedule, consumers };
}

/** Checks the props that the configuration schema does not cover; every problem is named at once. */
export function resolveOptions(props: ApiKeyRotationProps, source: string): ResolvedOptions {
  return validated(source, (check, problems) => {
    const core = coreOf(props, check, problems);
    const alarms = alarmsOf(props, check);
    const reportBucket = reportBucketOf(props.reportBucket, check);
    return { ...core, alarms, reportBucket };
  });
}

/** The rotation core's schedule and consumers, checked. */
export function resolveCore(
  props: CoreProps,
  source: string,
): Pick<ResolvedOptions, 'schedule' | 'consumers'> {
  return validated(source, (check, problems) => coreOf(props, check, problems));
}

/** The monitoring's alarm settings, checked. */
export function resolveAlarms(props: MonitoringAlarmProps, source: string): ResolvedAlarms {
  return validated(source, (check) => alarmsOf(props, check));
}

/** A report store's settings, checked. */
export function resolveReportBucket(props: ReportBucketOptions, source: string): ResolvedReportBucket {
  return validated(source, (check) => reportBucketOf(props, check, ''));
}

/** What is wrong with a consumer, if anything. */
export function consumerProblems(consumer: ConsumerAccess, label: string): string[] {
  const problems: string[] = [];
  if (typeof consumer.credential !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,256}$/.test(consumer.credential)) {
    problems.push(
      `${label}.credential: secret-name characters only (got ${JSON.stringify(consumer.credential)})`,
    );
  }
  if (
    typeof consumer.principalArn !== 'string' ||
    !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(consumer.principalArn)
  ) {
    problems.push(
      `${label}.principalArn: an IAM role ARN such as arn:aws:iam::111122223333:role/partner-app (got ${JSON.stringify(consumer.principalArn)})`,
    );
  }
  return problems;
}

function validTimeZone(zone: string): boolean {
  if (Token.isUnresolved(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
