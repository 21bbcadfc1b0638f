import { Duration } from 'aws-cdk-lib/core';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC } from '../functions/core/metrics.js';

/** Every alarm, named exactly like its runbook in runbooks/ (the infra and drill tests check both). */
export const ALARMS = {
  keyRotationFailed: 'KeyRotationFailed',
  keysOverdue: 'KeysOverdue',
  retirementPostponed: 'RetirementPostponed',
  runMissing: 'ReconcilerRunMissing',
  quotaNearLimit: 'KeyQuotaNearLimit',
  reconcilerErrors: 'ReconcilerErrors',
  rotationFunctionErrors: 'RotationFunctionErrors',
  deadLetterQueue: 'DeadLetterQueueNotEmpty',
} as const;
export type AlarmName = (typeof ALARMS)[keyof typeof ALARMS];

/** Where an alarm's metric comes from: the reconciler's namespace, or a resource of the construct. */
export type AlarmSource =
  | { kind: 'keyrot'; metricName: string }
  | { kind: 'reconciler-errors' }
  | { kind: 'rotation-function-errors' }
  | { kind: 'dead-letter-queue' };

export interface AlarmSpec {
  name: AlarmName;
  source: AlarmSource;
  statistic: 'Sum' | 'Maximum' | 'SampleCount';
  threshold: number;
  comparison: cloudwatch.ComparisonOperator;
  period: Duration;
  missing: cloudwatch.TreatMissingData;
  /** The description's first sentence; the runbook path follows it. */
  summary: string;
}

export interface AlarmSettings {
  /** KeyQuotaNearLimit fires at this share of the 10,000 keys per region (percent). */
  quotaUsedPercent: number;
  /** ReconcilerRunMissing looks this far back for a completed run. */
  heartbeatPeriod: Duration;
}

const AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/**
 * The alarms. The reconciler publishes its metrics once per run (daily): missing data between runs is
 * ignored, so an alarm keeps the state of the last run (it stays in ALARM until a run shows the problem
 * gone, instead of flapping back to OK an hour later). Only the heartbeat treats missing data as breaching.
 */
export function alarmSpecs(settings: AlarmSettings): AlarmSpec[] {
  const ignore = cloudwatch.TreatMissingData.IGNORE;
  return [
    {
      name: ALARMS.keyRotationFailed,
      source: { kind: 'keyrot', metricName: METRIC.rotationFailures },
      statistic: 'Sum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.hours(1),
      missing: ignore,
      summary: 'A run failed to rotate at least one credential; its old key is still current.',
    },
    {
      name: ALARMS.keysOverdue,
      source: { kind: 'keyrot', metricName: METRIC.overdueKeys },
      statistic: 'Maximum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.hours(1),
      missing: ignore,
      summary: "A credential's current key is older than its policy's period plus grace.",
    },
    {
      name: ALARMS.retirementPostponed,
      source: { kind: 'keyrot', metricName: METRIC.retirementsPostponed },
      statistic: 'Maximum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.hours(1),
      missing: ignore,
      summary:
        "A superseded key still takes requests past its grace: its retirement waits, at most the policy's retirementDelayDays, then it is disabled anyway.",
    },
    {
      name: ALARMS.runMissing,
      source: { kind: 'keyrot', metricName: METRIC.heartbeat },
      // Datapoints, not their sum: every run puts a 1, the stack's creation a 0 (Custom::KeyrotHeartbeatWindow),
      // so a new stack's first run has a full window before the alarm fires.
      statistic: 'SampleCount',
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      period: settings.heartbeatPeriod,
      missing: cloudwatch.TreatMissingData.BREACHING,
      summary: `No reconciler run completed in the last ${settings.heartbeatPeriod.toHours()} hours (or since the stack was created).`,
    },
    {
      name: ALARMS.quotaNearLimit,
      source: { kind: 'keyrot', metricName: METRIC.quotaUsedPercent },
      statistic: 'Maximum',
      threshold: settings.quotaUsedPercent,
      comparison: AT_LEAST,
      period: Duration.hours(1),
      missing: ignore,
      summary: `API keys use ${settings.quotaUsedPercent}% or more of the 10,000 keys per region quota.`,
    },
    {
      name: ALARMS.reconcilerErrors,
      source: { kind: 'reconciler-errors' },
      statistic: 'Sum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.minutes(5),
      missing: ignore,
      summary: 'An invocation of the reconciler Lambda failed.',
    },
    {
      name: ALARMS.rotationFunctionErrors,
      source: { kind: 'rotation-function-errors' },
      statistic: 'Sum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.minutes(5),
      missing: ignore,
      summary: 'The rotation function failed a step of a rotation.',
    },
    {
      name: ALARMS.deadLetterQueue,
      source: { kind: 'dead-letter-queue' },
      statistic: 'Maximum',
      threshold: 1,
      comparison: AT_LEAST,
      period: Duration.minutes(5),
      // SQS stops publishing for a queue idle for hours: a parked message must keep the alarm on.
      missing: ignore,
      summary: 'A scheduled run of the reconciler could not be delivered or failed every retry.',
    },
  ];
}

/** The description ends with the runbook's path, so the notification carries it. */
export function alarmDescription(spec: Pick<AlarmSpec, 'name' | 'summary'>, runbookBase: string): string {
  return `${spec.summary} Runbook: ${runbookBase}${spec.name}.md`;
}
