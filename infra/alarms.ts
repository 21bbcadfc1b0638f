import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC } from '../functions/core/metrics.js';

/** Every alarm, named exactly like its runbook in runbooks/ (the drill and infra tests check both). */
export const ALARMS = {
  keyRotationFailed: 'KeyRotationFailed',
  keysOverdue: 'KeysOverdue',
  runMissing: 'ReconcilerRunMissing',
  quotaNearLimit: 'KeyQuotaNearLimit',
  reconcilerErrors: 'ReconcilerErrors',
  rotationFunctionErrors: 'RotationFunctionErrors',
  deadLetterQueue: 'DeadLetterQueueNotEmpty',
} as const;

export interface KeyrotMetricAlarm {
  name: (typeof ALARMS)[keyof typeof ALARMS];
  metricName: string;
  statistic: 'Sum' | 'Maximum';
  threshold: number;
  comparison: cloudwatch.ComparisonOperator;
  period: Duration;
  missing: cloudwatch.TreatMissingData;
  summary: string;
}

/** Alarms on the metrics the reconciler publishes (namespace from the configuration). */
export const METRIC_ALARMS: KeyrotMetricAlarm[] = [
  {
    name: ALARMS.keyRotationFailed,
    metricName: METRIC.rotationFailures,
    statistic: 'Sum',
    threshold: 1,
    comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    period: Duration.hours(6),
    missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    summary: 'A scheduled key rotation failed; the old key is still current.',
  },
  {
    name: ALARMS.keysOverdue,
    metricName: METRIC.overdueKeys,
    statistic: 'Maximum',
    threshold: 1,
    comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    period: Duration.hours(6),
    missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    summary: 'A current key is older than its policy period plus grace.',
  },
  {
    name: ALARMS.runMissing,
    metricName: METRIC.heartbeat,
    statistic: 'Sum',
    threshold: 1,
    comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    // A daily schedule with a flexible window: a whole day without a completed run is missing.
    period: Duration.hours(26),
    missing: cloudwatch.TreatMissingData.BREACHING,
    summary: 'No reconciler run completed in the last 26 hours.',
  },
  {
    name: ALARMS.quotaNearLimit,
    metricName: METRIC.quotaUsedPercent,
    statistic: 'Maximum',
    threshold: 90,
    comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    period: Duration.hours(6),
    missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    summary: 'API keys use 90% or more of the 10,000 keys per region quota.',
  },
];

export function runbookDescription(summary: string, alarmName: string, runbookBase: string): string {
  return `${summary} Runbook: ${runbookBase}${alarmName}.md`;
}
