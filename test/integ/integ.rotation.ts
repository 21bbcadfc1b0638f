/**
 * keyrot on a real account: an API key is adopted, rotated through Secrets Manager, the new key opens
 * the API, the old one is retired and API Gateway refuses it.
 *
 * `npm run integ:snapshot` synthesizes this app and compares it with test/integ/integ.rotation.ts.snapshot
 * (no AWS). `npm run integ:deploy` deploys it to a sandbox account, runs the assertions and destroys it:
 * see docs/integ.md. Key values never go to an output: each one is read by an assertion and handed to the
 * next one inside the assertion stack.
 */
import {
  App,
  ArnFormat,
  CustomResource,
  Duration,
  RemovalPolicies,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsApiCall, ExpectedResult, IntegTest, Match, type IApiCall } from '@aws-cdk/integ-tests-alpha';
import type { Construct } from 'constructs';
import { ApiKeyRotation } from '../../infra/api-key-rotation.js';

/** Prefixes of this test only: the test's keyrot never reads or writes a real keyrot's tags or secrets. */
const TAG_PREFIX = 'keyrot-integ:';
const SECRET_PREFIX = 'keyrot-integ/';
/** The key's name; adoption makes it the credential's name (functions/core/checks/unmanaged.ts). */
const CREDENTIAL = 'keyrot-integ-consumer';
const SECRET_NAME = `${SECRET_PREFIX}${CREDENTIAL}`;
const STAGE = 'integ';

/**
 * What the stack leaves outside CloudFormation, removed when the stack is deleted: the keys keyrot made
 * for the credential (rotations create them) and its secret (adoption creates it). Inline code, AWS SDK
 * of the runtime; it never reads a key value.
 */
const CLEANUP_CODE = `
const { APIGatewayClient, GetApiKeysCommand, DeleteApiKeyCommand } = require('@aws-sdk/client-api-gateway');
const { SecretsManagerClient, DeleteSecretCommand } = require('@aws-sdk/client-secrets-manager');
exports.handler = async (event) => {
  const p = event.ResourceProperties;
  let status = 'SUCCESS', reason = 'cleaned up';
  try {
    if (event.RequestType === 'Delete') {
      const apigw = new APIGatewayClient({});
      let position;
      do {
        const page = await apigw.send(new GetApiKeysCommand({ position, limit: 500 }));
        for (const key of page.items ?? []) {
          if (key.tags?.[p.CredentialTag] === p.Credential && key.id !== p.StackKeyId) {
            await apigw.send(new DeleteApiKeyCommand({ apiKey: key.id })).catch((e) => {
              if (e.name !== 'NotFoundException') throw e;
            });
          }
        }
        position = page.position;
      } while (position);
      await new SecretsManagerClient({}).send(
        new DeleteSecretCommand({ SecretId: p.SecretName, ForceDeleteWithoutRecovery: true }),
      ).catch((e) => { if (e.name !== 'ResourceNotFoundException') throw e; });
    }
  } catch (e) {
    status = 'FAILED';
    reason = String(e && e.message || e).slice(0, 500);
  }
  await fetch(event.ResponseURL, {
    method: 'PUT',
    body: JSON.stringify({
      Status: status, Reason: reason, PhysicalResourceId: 'keyrot-integ-cleanup',
      StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId,
    }),
  });
};
`;

class RotationTestStack extends Stack {
  readonly api: apigw.RestApi;
  readonly apiKey: apigw.ApiKey;
  readonly keyrot: ApiKeyRotation;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // The API a consumer calls: one method that needs an API key, a MOCK integration answering 200.
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: 'keyrot-integ',
      cloudWatchRole: false,
      deployOptions: { stageName: STAGE },
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
    });
    this.api.root.addMethod(
      'GET',
      new apigw.MockIntegration({
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': '{"ok": true}' } },
        ],
      }),
      { apiKeyRequired: true, methodResponses: [{ statusCode: '200' }] },
    );
    const plan = this.api.addUsagePlan('Plan', {
      name: 'keyrot-integ',
      throttle: { rateLimit: 10, burstLimit: 5 },
      quota: { limit: 1000, period: apigw.Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    // A consumer's key made before keyrot, as a user has them: keyrot adopts it (hygiene.unmanaged: adopt).
    this.apiKey = new apigw.ApiKey(this, 'ConsumerKey', { apiKeyName: CREDENTIAL, enabled: true });
    plan.addApiKey(this.apiKey);

    this.keyrot = new ApiKeyRotation(this, 'ApiKeyRotation', {
      config: {
        tagPrefix: TAG_PREFIX,
        secretPrefix: SECRET_PREFIX,
        metricNamespace: 'KeyrotInteg',
        defaultPolicy: 'integ',
        // No grace: the run after a rotation disables the old key. The disable window's minimum is a
        // day, so the deletion is not part of this test (the stack's cleanup deletes the keys).
        policies: { integ: { periodDays: 30, graceDays: 0, disableWindowDays: 1 } },
        hygiene: { unmanaged: { action: 'adopt' } },
      },
      // The test invokes the reconciler itself; a scheduled run in the middle would race it.
      schedule: { enabled: false },
      alarms: { namePrefix: 'keyrot-integ-' },
      // GOVERNANCE: the integration stack's bucket must go with it.
      reportBucket: { retentionDays: 1, accessLogRetentionDays: 1, lockMode: 'GOVERNANCE' },
      logRetention: logs.RetentionDays.ONE_DAY,
    });
    // Destroyed with the stack, except the two buckets: the report bucket's objects are object-locked
    // for a day, so CloudFormation could not delete it (docs/integ.md: removing them afterwards).
    RemovalPolicies.of(this.keyrot).destroy({
      excludeResourceTypes: ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy'],
    });
    for (const child of this.keyrot.node.findAll()) {
      if (child instanceof kms.CfnKey) child.pendingWindowInDays = 7;
    }

    const cleanupLogs = new logs.LogGroup(this, 'CleanupLogs', {
      retention: logs.RetentionDays.ONE_DAY,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cleanup = new lambda.Function(this, 'CleanupFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(CLEANUP_CODE),
      timeout: Duration.minutes(2),
      logGroup: cleanupLogs,
      description:
        'keyrot integ test: deletes the keys and the secret keyrot made, when the stack is deleted',
    });
    cleanup.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:GET', 'apigateway:DELETE'],
        resources: [
          this.formatArn({ service: 'apigateway', account: '', resource: '/apikeys' }),
          this.formatArn({ service: 'apigateway', account: '', resource: '/apikeys/*' }),
        ],
      }),
    );
    cleanup.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:DeleteSecret'],
        resources: [
          this.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${SECRET_NAME}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const cleanupResource = new CustomResource(this, 'Cleanup', {
      serviceToken: cleanup.functionArn,
      resourceType: 'Custom::KeyrotIntegCleanup',
      properties: {
        CredentialTag: `${TAG_PREFIX}credential`,
        Credential: CREDENTIAL,
        StackKeyId: this.apiKey.keyId,
        SecretName: SECRET_NAME,
      },
    });
    // Deleted first: before the plan (its keys leave it), before keyrot (no rotation starts meanwhile).
    cleanupResource.node.addDependency(plan, this.keyrot);
  }
}

// No stack traces in the snapshot's metadata: they name this machine's paths and every line number.
const app = new App({ stackTraces: false });
const stack = new RotationTestStack(app, 'KeyrotInteg');
const integ = new IntegTest(app, 'KeyrotRotation', {
  testCases: [stack],
  // The snapshot keeps the templates, not the Lambda bundles (megabytes): integ-runner removes the
  // assets of a stack without the update workflow. That workflow (deploy the committed snapshot, then
  // the change) could not run anyway: the adopted key's secret and the rotated keys live outside the stack.
  stackUpdateWorkflow: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
const assertions = integ.assertions;

/** Poll every `seconds` until the expectation holds, at most `minutes`; then the deployment fails. */
const waiting = (minutes: number, seconds = 10) => ({
  totalTimeout: Duration.minutes(minutes),
  interval: Duration.seconds(seconds),
});

/** API Gateway's IAM actions are HTTP verbs, not API names: the provider's role gets GET on the keys. */
function allowApiGatewayReads(call: IApiCall): void {
  const statement = {
    Effect: 'Allow',
    Action: ['apigateway:GET'],
    Resource: [stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys*' })],
  };
  call.provider.addToRolePolicy(statement);
  if (call instanceof AwsApiCall) call.waiterProvider?.addToRolePolicy(statement);
}

/** The secrets are encrypted with keyrot's KMS key: reading a value needs kms:Decrypt on it. */
function allowSecretDecrypt(call: IApiCall): void {
  call.provider.addToRolePolicy({
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: [stack.keyrot.secretsKey.keyArn],
  });
}

/** The reconciler's answer: the run's counts (functions/reconciler.ts); no action may have failed. */
const runWithoutFailures = ExpectedResult.objectLike({
  StatusCode: 200,
  Payload: Match.serializedJson(Match.objectLike({ failed: 0 })),
});

// 1. API Gateway GetApiKeys: the stack's key is the only one in the account and region. The test's
//    keyrot adopts every unmanaged key it sees; in an account with other keys the test stops here.
const onlyKey = assertions
  .awsApiCall('APIGateway', 'getApiKeys', { limit: 500 })
  .expect(ExpectedResult.objectLike({ items: [Match.objectLike({ id: stack.apiKey.keyId })] }))
  .waitForAssertions(waiting(1));
allowApiGatewayReads(onlyKey);

// 2. Lambda Invoke (the reconciler, synchronously): the run adopts the key, as hygiene.unmanaged: adopt
//    does for a user: its value goes into a new secret, the key is tagged, rotation is configured.
/** A run of the deployed reconciler, invoked as `keyrot` or on-call would, that must fail no action. */
const reconcilerRun = () =>
  assertions
    .invokeFunction({
      functionName: stack.keyrot.reconciler.functionName,
      payload: JSON.stringify({ trigger: 'manual' }),
    })
    .expect(runWithoutFailures);
const adoption = reconcilerRun();

// 3. Secrets Manager DescribeSecret: the credential's secret exists, rotation is on, with keyrot's function.
const adopted = assertions
  .awsApiCall('SecretsManager', 'describeSecret', { SecretId: SECRET_NAME })
  .expect(
    ExpectedResult.objectLike({
      Name: SECRET_NAME,
      RotationEnabled: true,
      RotationLambdaARN: stack.keyrot.rotationFunction.functionArn,
    }),
  )
  .waitForAssertions(waiting(2));

// 4. API Gateway GetApiKey (no value): the adopted key carries the credential tag.
const tagged = assertions
  .awsApiCall('APIGateway', 'getApiKey', { apiKey: stack.apiKey.keyId, includeValue: false })
  .expect(
    ExpectedResult.objectLike({
      id: stack.apiKey.keyId,
      enabled: true,
      tags: Match.objectLike({ [`${TAG_PREFIX}credential`]: CREDENTIAL }),
    }),
  );
allowApiGatewayReads(tagged);

// 5. Secrets Manager RotateSecret: starts a rotation with the secret's rotation function, as Secrets
//    Manager's schedule would. Retried while Secrets Manager still refuses (a rotation pending).
const rotate = assertions
  .awsApiCall('SecretsManager', 'rotateSecret', { SecretId: SECRET_NAME })
  .expect(ExpectedResult.objectLike({ Name: SECRET_NAME }))
  .waitForAssertions(waiting(3));

// 6. Secrets Manager ListSecretVersionIds: the rotation is over once finishSecret has moved AWSCURRENT,
//    which makes the old version AWSPREVIOUS. Not "AWSPENDING gone": after a successful rotation the
//    label may stay on the AWSCURRENT version (RotateSecret's reference), so the test does not wait for it.
const finished = assertions
  .awsApiCall('SecretsManager', 'listSecretVersionIds', { SecretId: SECRET_NAME })
  .expect(
    ExpectedResult.objectLike({
      Versions: Match.arrayWith([Match.objectLike({ VersionStages: ['AWSPREVIOUS'] })]),
    }),
  )
  .waitForAssertions(waiting(10, 15));

// 7. Secrets Manager GetSecretValue (AWSCURRENT): the consumer's read. The value stays in the assertion
//    stack: the next call gets it by reference, no output carries it.
const current = assertions
  .awsApiCall('SecretsManager', 'getSecretValue', { SecretId: SECRET_NAME, VersionStage: 'AWSCURRENT' })
  .assertAtPath('SecretString.credential', ExpectedResult.exact(CREDENTIAL));
allowSecretDecrypt(current);
const newKey = current.getAttString('SecretString.apiKey');

// 8. HTTP GET on the stage with the new key (x-api-key): 200 once API Gateway knows the key.
const newKeyWorks = assertions
  .httpApiCall(stack.api.url, { headers: { 'x-api-key': newKey } })
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions(waiting(5));

// 9. Lambda Invoke (the reconciler): the run records the rotation and, the grace being 0, disables the
//     old key. Nothing called the API with the old key: a key that took requests on the day its grace
//     ended waits (retiring-key-in-use, functions/core/plan.ts).
const retirement = reconcilerRun();

// 10. API Gateway GetApiKey (no value): the old key is disabled.
const disabled = assertions
  .awsApiCall('APIGateway', 'getApiKey', { apiKey: stack.apiKey.keyId, includeValue: false })
  .expect(ExpectedResult.objectLike({ id: stack.apiKey.keyId, enabled: false }))
  .waitForAssertions(waiting(2));
allowApiGatewayReads(disabled);

// 11. Secrets Manager GetSecretValue (AWSPREVIOUS): the version in its grace holds the adopted key (its
//     id is in the secret value), whose value the next call uses.
const previous = assertions
  .awsApiCall('SecretsManager', 'getSecretValue', { SecretId: SECRET_NAME, VersionStage: 'AWSPREVIOUS' })
  .assertAtPath('SecretString.apiKeyId', ExpectedResult.exact(stack.apiKey.keyId));
allowSecretDecrypt(previous);
const oldKey = previous.getAttString('SecretString.apiKey');

// 12. HTTP GET with the old key: 403 Forbidden once the disabled key has reached API Gateway's edge.
const oldKeyRefused = assertions
  .httpApiCall(stack.api.url, { headers: { 'x-api-key': oldKey } })
  .expect(ExpectedResult.objectLike({ status: 403 }))
  .waitForAssertions(waiting(5));

onlyKey
  .next(adoption)
  .next(adopted)
  .next(tagged)
  .next(rotate)
  .next(finished)
  .next(current)
  .next(newKeyWorks)
  .next(retirement)
  .next(disabled)
  .next(previous)
  .next(oldKeyRefused);

app.synth();
