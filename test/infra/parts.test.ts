import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ALARMS } from '../../infra/alarms.js';
import { KeyrotMonitoring, ReportStore, RotationCore } from '../../infra/api-key-rotation.js';
import { flat, resourcesOf, roleStatements, synth } from './synth.js';

const alone = (make: (stack: Stack) => void) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform');
  make(stack);
  return Template.fromStack(stack);
};
const count = (t: Template, type: string) => resourcesOf(t, type).length;

describe('the parts of ApiKeyRotation, each usable alone', () => {
  it('the rotation core without a report store: both functions, no report bucket, s3 for the run lease only', () => {
    const t = alone((s) => new RotationCore(s, 'Rotation'));
    expect(count(t, 'AWS::Lambda::Function')).toBe(2);
    // The run lease's bucket and its access logs, nothing else.
    expect(resourcesOf(t, 'AWS::S3::Bucket').map(([id]) => id)).toEqual([
      expect.stringMatching(/^RotationLeaseAccessLogs/),
      expect.stringMatching(/^RotationLeaseBucket/),
    ]);
    expect(count(t, 'AWS::CloudWatch::Alarm')).toBe(0);
    const [, reconciler] = resourcesOf(t, 'AWS::Lambda::Function').find(([id]) => id.includes('Reconciler'))!;
    const env = (reconciler.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).not.toHaveProperty('REPORT_BUCKET');
    const sids = roleStatements(t, 'RotationReconcilerRole').map((s) => s.Sid);
    expect(sids).toContain('ReadApiKeysAndUsagePlans');
    expect(sids).not.toContain('WriteRunReports');
  });

  it('the report store: the locked bucket and its access logs; grantWriteRuns allows PutObject under runs/ only', () => {
    let store!: ReportStore;
    const t = alone((s) => {
      store = new ReportStore(s, 'Reports', { retentionDays: 30 });
      const writer = new iam.Role(s, 'Pipeline', { assumedBy: new iam.AccountRootPrincipal() });
      store.grantWriteRuns(writer);
    });
    expect(count(t, 'AWS::S3::Bucket')).toBe(2);
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Days: 30, Mode: 'COMPLIANCE' } } },
    });
    const [, policy] = resourcesOf(t, 'AWS::IAM::Policy')[0]!;
    expect(flat(policy.Properties.PolicyDocument)).toMatchObject({
      Statement: [{ Action: 's3:PutObject', Effect: 'Allow', Resource: '${Reports.Arn}/runs/*' }],
    });
    expect(() => new ReportStore(new Stack(), 'Bad', { retentionDays: 0 })).toThrow(
      /Bad props is invalid: retentionDays: whole days/,
    );
  });

  it('the monitoring on metrics only: the metric alarms, none on functions or queues it was not given', () => {
    const t = alone((s) => new KeyrotMonitoring(s, 'Monitoring', { metricNamespace: 'Platform/Keys' }));
    const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        ALARMS.keyRotationFailed,
        ALARMS.keysOverdue,
        ALARMS.retirementPostponed,
        ALARMS.runMissing,
        ALARMS.quotaNearLimit,
      ].sort(),
    );
    expect(alarms.every((a) => a.Namespace === 'Platform/Keys')).toBe(true);
    const [, dashboard] = resourcesOf(t, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = String(flat(dashboard.Properties.DashboardBody));
    expect(body).toContain('"Platform/Keys","KeysRotated"');
    expect(body).not.toContain('AWS/Lambda');
  });
});

describe('logical ids', () => {
  // A changed logical id replaces the resource on the next deployment: the secrets key (every secret's
  // ciphertext), the Object Lock bucket, the rotation function every secret names, the log groups, and
  // the alarms, whose fixed names collide with their replacements. Change one only on purpose.
  const KEPT = [
    'AWS::KMS::Key',
    'AWS::S3::Bucket',
    'AWS::Lambda::Function',
    'AWS::Logs::LogGroup',
    'AWS::CloudWatch::Alarm',
    'AWS::SQS::Queue',
    'AWS::Scheduler::Schedule',
  ];
  it('of the resources whose replacement loses state or breaks an update stay as they are', () => {
    const { template } = synth();
    const ids = KEPT.flatMap((type) => resourcesOf(template, type).map(([id]) => `${type} ${id}`)).sort();
    expect(ids).toEqual([
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringDeadLetterQueueNotEmptyDF77677A',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringKeyQuotaNearLimit3C7CDE77',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringKeyRotationFailedD009B81A',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringKeysOverdue6C417114',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringReconcilerErrors36CDB016',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringReconcilerRunMissing7BAAA723',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringRetirementPostponedC32660AB',
      'AWS::CloudWatch::Alarm ApiKeyRotationMonitoringRotationFunctionErrors13428D68',
      'AWS::KMS::Key ApiKeyRotationMonitoringAlarmTopicKey87FE8861',
      'AWS::KMS::Key ApiKeyRotationSecretsKeyAB6DBF8F',
      'AWS::Lambda::Function ApiKeyRotationReconciler765B6473',
      'AWS::Lambda::Function ApiKeyRotationRotationFunctionAEA283B7',
      'AWS::Logs::LogGroup ApiKeyRotationReconcilerLogs24EB78D0',
      'AWS::Logs::LogGroup ApiKeyRotationRotationFunctionLogsA63475DF',
      'AWS::S3::Bucket ApiKeyRotationLeaseBucket330EF55D',
      'AWS::S3::Bucket ApiKeyRotationReports95103577',
      'AWS::S3::Bucket ApiKeyRotationReportsAccessLogs1B1F4B48',
      'AWS::SQS::Queue ApiKeyRotationDeadLetters51776107',
      'AWS::Scheduler::Schedule ApiKeyRotationDailyScheduleEAE164AF',
    ]);
  });
});
