import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { ApiKeyRotation, type ApiKeyRotationProps } from './api-key-rotation.js';
import { OPERATOR_USES } from './operator-permissions.js';

export interface KeyrotStackProps extends StackProps {
  readonly rotation?: ApiKeyRotationProps;
}

/** The standalone deployment: one stack per account and region. Its outputs are what the runbooks ask for. */
export class KeyrotStack extends Stack {
  readonly rotation: ApiKeyRotation;

  constructor(scope: Construct, id: string, props: KeyrotStackProps = {}) {
    super(scope, id, props);
    this.rotation = new ApiKeyRotation(this, 'ApiKeyRotation', props.rotation);
    addKeyrotOutputs(this, this.rotation);
  }
}

/** The outputs the runbooks ask for, on any stack that holds the construct (a StackSet's too). */
export function addKeyrotOutputs(stack: Stack, r: ApiKeyRotation): void {
  const outputs: [string, string, string][] = [
    ['ReconcilerFunctionName', r.reconciler.functionName, 'RECONCILER_FUNCTION in the runbooks'],
    ['RotationFunctionName', r.rotationFunction.functionName, 'ROTATION_FUNCTION in the runbooks'],
    [
      'RotationFunctionArn',
      r.rotationFunction.functionArn,
      'the rotation Lambda of the managed secrets: rotationLambdaArn of the CLI configuration',
    ],
    ['ReconcilerLogGroupName', r.reconcilerLogGroup.logGroupName, 'RECONCILER_LOG_GROUP in the runbooks'],
    ['RotationLogGroupName', r.rotationLogGroup.logGroupName, 'ROTATION_LOG_GROUP in the runbooks'],
    ['ScheduleName', r.schedule.scheduleName, 'SCHEDULE_NAME in the runbooks'],
    ['DeadLetterQueueUrl', r.deadLetterQueue.queueUrl, 'DLQ_URL in the runbooks'],
    ['ReportBucketName', r.reportBucket.bucketName, 'REPORT_BUCKET in the runbooks'],
    [
      'LeaseBucketName',
      r.core.leaseBucket.bucketName,
      'the run lease: leaseBucket of the CLI configuration (one run at a time spends the share)',
    ],
    [
      'SecretsKeyArn',
      r.secretsKey.keyArn,
      'the KMS key of the credentials secrets: secretKmsKeyId of the CLI configuration',
    ],
    ['AlarmTopicArn', r.alarmTopic.topicArn, 'where the alarms go'],
    ...OPERATOR_USES.map((use): [string, string, string] => [
      `${use.id}PolicyArn`,
      r.core.operatorPolicies[use.id].managedPolicyArn,
      `attach to whoever runs keyrot ${use.verbs.join(', ')}: ${use.description}`,
    ]),
    ['DashboardName', r.dashboard.dashboardName, 'the CloudWatch dashboard'],
  ];
  for (const [name, value, description] of outputs) new CfnOutput(stack, name, { value, description });
}
