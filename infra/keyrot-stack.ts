import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiKeyRotation, type ApiKeyRotationProps } from './api-key-rotation.js';

export interface KeyrotStackProps extends StackProps {
  rotation?: ApiKeyRotationProps;
}

/** The standalone deployment: one stack per account and region. */
export class KeyrotStack extends Stack {
  readonly rotation: ApiKeyRotation;

  constructor(scope: Construct, id: string, props: KeyrotStackProps = {}) {
    super(scope, id, props);
    this.rotation = new ApiKeyRotation(this, 'ApiKeyRotation', props.rotation);
    new CfnOutput(this, 'ReportBucketName', { value: this.rotation.reportBucket.bucketName });
    new CfnOutput(this, 'ReconcilerFunctionName', { value: this.rotation.reconciler.functionName });
    new CfnOutput(this, 'RotationFunctionArn', { value: this.rotation.rotationFunction.functionArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.rotation.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.rotation.alarmTopic.topicArn });
  }
}
