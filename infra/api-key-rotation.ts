import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../functions/core/config.js';
import type { AlarmName } from './alarms.js';
import { KeyrotMonitoring } from './monitoring.js';
import { resolveOptions, type ApiKeyRotationProps, type ConsumerAccess } from './props.js';
import { ReportStore } from './report-store.js';
import { RotationCore } from './rotation-core.js';

export type {
  AlarmOptions,
  ApiKeyRotationProps,
  ConsumerAccess,
  KeyrotSettings,
  MonitoringAlarmProps,
  ReconcilerScheduleOptions,
  ReportBucketOptions,
  ReportReplicationOptions,
} from './props.js';
export { KeyrotMonitoring, type KeyrotMonitoringProps } from './monitoring.js';
export { ReportStore } from './report-store.js';
export { RotationCore, type RotationCoreProps } from './rotation-core.js';

/**
 * keyrot in one construct: the rotation core (the daily reconciler, the Secrets Manager rotation
 * function, the secrets' KMS key, least-privilege roles), the object-locked report store, and the
 * monitoring (alarms whose descriptions end with their runbook, a dashboard). Each part is a construct
 * of its own, usable alone.
 */
export class ApiKeyRotation extends Construct {
  readonly core: RotationCore;
  readonly reports: ReportStore;
  readonly monitoring: KeyrotMonitoring;

  constructor(scope: Construct, id: string, props: ApiKeyRotationProps = {}) {
    super(scope, id);
    // Every problem of the props at once, before any part is made.
    const options = resolveOptions(props, `${this.node.path} props`);
    this.reports = new ReportStore(this, 'Reports', options.reportBucket);
    // The default child: the core's resources keep the logical ids they had before the split.
    this.core = new RotationCore(this, 'Default', {
      ...(props.config !== undefined && { config: props.config }),
      schedule: options.schedule,
      consumers: options.consumers,
      reportBucket: this.reports.bucket,
      accessLogsBucket: this.reports.accessLogsBucket,
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    this.monitoring = new KeyrotMonitoring(this, 'Monitoring', {
      ...(props.alarmTopic !== undefined && { alarmTopic: props.alarmTopic }),
      ...(props.alarmEmail !== undefined && { alarmEmail: props.alarmEmail }),
      ...(props.runbookBaseUrl !== undefined && { runbookBaseUrl: props.runbookBaseUrl }),
      ...(props.alarms !== undefined && { alarms: props.alarms }),
      metricNamespace: this.core.config.metricNamespace,
      heartbeatPeriod: this.core.heartbeatPeriod,
      reconciler: this.core.reconciler,
      rotationFunction: this.core.rotationFunction,
      deadLetterQueue: this.core.deadLetterQueue,
    });
  }

  /** Lets a role in another account read one credential's secret, and nothing else. */
  addConsumer(consumer: ConsumerAccess): void {
    this.core.addConsumer(consumer);
  }

  /** The validated configuration, with defaults, as the functions read it. */
  get config(): Config {
    return this.core.config;
  }
  get reconciler(): lambda.Function {
    return this.core.reconciler;
  }
  get rotationFunction(): lambda.Function {
    return this.core.rotationFunction;
  }
  get reconcilerLogGroup(): logs.LogGroup {
    return this.core.reconcilerLogGroup;
  }
  get rotationLogGroup(): logs.LogGroup {
    return this.core.rotationLogGroup;
  }
  get schedule(): scheduler.Schedule {
    return this.core.schedule;
  }
  get deadLetterQueue(): sqs.Queue {
    return this.core.deadLetterQueue;
  }
  get secretsKey(): kms.Key {
    return this.core.secretsKey;
  }
  get reportBucket(): s3.Bucket {
    return this.reports.bucket;
  }
  get accessLogsBucket(): s3.Bucket {
    return this.reports.accessLogsBucket;
  }
  get alarmTopic(): sns.ITopic {
    return this.monitoring.alarmTopic;
  }
  /** Every alarm: the core gives the monitoring all of their sources. */
  get alarms(): Record<AlarmName, cloudwatch.Alarm> {
    return this.monitoring.alarms as Record<AlarmName, cloudwatch.Alarm>;
  }
  get dashboard(): cloudwatch.Dashboard {
    return this.monitoring.dashboard;
  }
}
