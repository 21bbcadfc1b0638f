import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib/core';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COUNTED } from '../functions/core/checks/registry.js';
import { parseConfig } from '../functions/core/config.js';
import { METRIC } from '../functions/core/metrics.js';
import { alarmDescription, alarmSpecs, type AlarmName, type AlarmSpec } from './alarms.js';
import { resolveAlarms, resolveCore, type MonitoringAlarmProps } from './props.js';
import { heartbeatPeriod } from './rotation-core.js';

export interface KeyrotMonitoringProps extends MonitoringAlarmProps {
  /** The namespace the reconciler publishes to (config `metricNamespace`). @default keyrot */
  readonly metricNamespace?: string;
  /**
   * ReconcilerRunMissing fires when no run completed for this long: the schedule's period plus the
   * latest a run may start and finish. @default that of the default daily schedule (26 hours)
   */
  readonly heartbeatPeriod?: Duration;
  /** Alarms and graphs on these resources when given; without them, on the metrics alone. */
  readonly reconciler?: lambda.IFunction;
  readonly rotationFunction?: lambda.IFunction;
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The on-call side of keyrot: an alarm topic, alarms whose descriptions end with their runbook, and a
 * dashboard. Usable alone, on the metrics of a reconciler that runs elsewhere (the CLI in a pipeline):
 * give it the namespace, and the functions and queue only where they exist.
 */
export class KeyrotMonitoring extends Construct {
  readonly alarmTopic: sns.ITopic;
  /** Every alarm whose source exists: the function and queue alarms need those resources. */
  readonly alarms: Partial<Record<AlarmName, cloudwatch.Alarm>>;
  readonly dashboard: cloudwatch.Dashboard;
  private readonly namespace: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: KeyrotMonitoringProps = {},
  ) {
    super(scope, id);
    const options = resolveAlarms(props, `${scope.node.path}/${id} props`);
    this.namespace = props.metricNamespace ?? parseConfig({}).metricNamespace;
    this.alarmTopic = options.topic ?? this.createAlarmTopic();
    if (options.email !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(options.email));
    }
    const specs = alarmSpecs({
      quotaUsedPercent: options.quotaUsedPercent,
      heartbeatPeriod:
        props.heartbeatPeriod ?? heartbeatPeriod(resolveCore({}, 'default schedule').schedule.flexibleWindow),
    });
    const action = new actions.SnsAction(this.alarmTopic);
    const created: Partial<Record<AlarmName, cloudwatch.Alarm>> = {};
    for (const spec of specs) {
      const metric = this.alarmMetric(spec);
      if (metric === undefined) continue;
      const alarm = new cloudwatch.Alarm(this, spec.name, {
        alarmName: `${options.namePrefix}${spec.name}`,
        alarmDescription: alarmDescription(spec, options.runbookBaseUrl),
        metric,
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
    this.alarms = created;
    this.dashboard = this.createDashboard(options.quotaUsedPercent);
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

  private alarmMetric(spec: AlarmSpec): cloudwatch.IMetric | undefined {
    const options = { period: spec.period, statistic: spec.statistic };
    switch (spec.source.kind) {
      case 'keyrot':
        return new cloudwatch.Metric({
          namespace: this.namespace,
          metricName: spec.source.metricName,
          ...options,
        });
      case 'reconciler-errors':
        return this.props.reconciler?.metricErrors(options);
      case 'rotation-function-errors':
        return this.props.rotationFunction?.metricErrors(options);
      case 'dead-letter-queue':
        return this.props.deadLetterQueue?.metricApproximateNumberOfMessagesVisible(options);
    }
  }

  private createDashboard(quotaUsedPercent: number): cloudwatch.Dashboard {
    const daily = (metricName: string, statistic = 'Sum', label?: string) =>
      new cloudwatch.Metric({
        namespace: this.namespace,
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
        ...COUNTED.map((c) => daily(c.metric, 'Maximum')),
        daily(METRIC.unmanagedKeys, 'Maximum'),
        daily(METRIC.findings, 'Maximum', 'All findings'),
      ]),
      graph('Keys and quota', [daily(METRIC.totalKeys, 'Maximum'), daily(METRIC.managedKeys, 'Maximum')], {
        right: [daily(METRIC.quotaUsedPercent, 'Maximum')],
        rightYAxis: { min: 0, max: 100, label: '% of quota' },
        rightAnnotations: [{ value: quotaUsedPercent, label: 'KeyQuotaNearLimit' }],
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
      graph('Pacing', [daily(METRIC.throttledCalls), daily(METRIC.apiGatewaySharedCalls)], {
        right: [daily(METRIC.pacingWait, 'Maximum'), daily(METRIC.apiGatewaySharedWait, 'Maximum')],
      }),
    );
    const { reconciler, rotationFunction, deadLetterQueue } = this.props;
    const functions: cloudwatch.IWidget[] = [];
    if (reconciler !== undefined) {
      functions.push(
        graph('Reconciler Lambda', [reconciler.metricErrors(hourly), reconciler.metricThrottles(hourly)], {
          right: [reconciler.metricDuration({ ...hourly, statistic: 'Maximum' })],
        }),
      );
    }
    const rotationAndQueue = [
      ...(rotationFunction === undefined
        ? []
        : [rotationFunction.metricErrors(hourly), rotationFunction.metricInvocations(hourly)]),
      ...(deadLetterQueue === undefined
        ? []
        : [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...hourly, statistic: 'Maximum' })]),
    ];
    if (rotationAndQueue.length > 0)
      functions.push(graph('Rotation function and dead letters', rotationAndQueue));
    if (functions.length > 0) dashboard.addWidgets(...functions);
    return dashboard;
  }
}
