import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The IAM statements of the two functions, one per kind of call they make. API Gateway authorizes its
 * control plane by HTTP verb on a resource path, so each statement names the verb and the paths of the
 * operations that use it:
 *
 * | operation | IAM action and resource |
 * |---|---|
 * | GetApiKeys, GetApiKey | GET /apikeys, /apikeys/{id} |
 * | GetUsagePlans, GetUsagePlanKeys, GetUsage | GET /usageplans, /usageplans/{id}/keys, /usageplans/{id}/usage |
 * | GetRestApis, GetResources (posture, read-only) | GET /restapis, /restapis/{id}/resources |
 * | CreateApiKey | POST /apikeys |
 * | CreateUsagePlanKey | POST /usageplans/{id}/keys |
 * | UpdateApiKey, DeleteApiKey | PATCH, DELETE /apikeys/{id} |
 * | TagResource (on arn:...::/apikeys/{id}), tags given to CreateApiKey | PUT /tags/{url-encoded key ARN} |
 * | UntagResource (a re-enabled key's disable record) | DELETE /tags/{url-encoded key ARN} |
 */
export interface FunctionGrants {
  /** arn:...:secret:<secretPrefix>* */
  secretArns: string;
  /** The customer-managed key of the credentials' secrets. */
  secretsKeyArn: string;
}

export interface ReconcilerGrants extends FunctionGrants {
  rotationFunctionArn: string;
  metricNamespace: string;
  /** The bus's ARN, or undefined when events are off. */
  eventBusArn: string | undefined;
  /** arn of the report objects the reconciler writes (runs/*). */
  reportObjectsArn: string;
}

export const apigatewayArn = (path: string) => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;

const statement = (sid: string, actions: string[], resources: string[], conditions?: iam.Conditions) =>
  new iam.PolicyStatement({ sid, actions, resources, ...(conditions !== undefined && { conditions }) });

const readKeysAndPlans = () =>
  statement(
    'ReadApiKeysAndUsagePlans',
    ['apigateway:GET'],
    ['/apikeys', '/apikeys/*', '/usageplans', '/usageplans/*'].map(apigatewayArn),
  );
const attachKeysToPlans = () =>
  statement('AttachApiKeysToUsagePlans', ['apigateway:POST'], [apigatewayArn('/usageplans/*/keys')]);
const tagKeys = () => statement('TagApiKeys', ['apigateway:PUT'], [apigatewayArn('/tags/*')]);

/** KMS use only through Secrets Manager, and only for the managed secrets (their ARN is the encryption context). */
const secretsKey = (grants: FunctionGrants) =>
  statement(
    'UseSecretsKeyThroughSecretsManager',
    ['kms:Decrypt', 'kms:GenerateDataKey'],
    [grants.secretsKeyArn],
    {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': grants.secretArns },
    },
  );

/** The scheduled reconciler: reads everything, retires keys, starts rotations, adopts keys, reports. */
export function reconcilerStatements(grants: ReconcilerGrants): iam.PolicyStatement[] {
  return [
    readKeysAndPlans(),
    statement('ReadApisForPosture', ['apigateway:GET'], ['/restapis', '/restapis/*'].map(apigatewayArn)),
    statement(
      'DisableAndDeleteApiKeys',
      ['apigateway:PATCH', 'apigateway:DELETE'],
      [apigatewayArn('/apikeys/*')],
    ),
    attachKeysToPlans(),
    tagKeys(),
    // forget-disabled: a key re-enabled by hand loses its disable record, so a later disable starts afresh.
    statement('UntagApiKeys', ['apigateway:DELETE'], [apigatewayArn('/tags/*')]),
    // ListSecrets has no resource-level permission.
    statement('ListSecrets', ['secretsmanager:ListSecrets'], ['*']),
    statement(
      'ManagedSecrets',
      [
        'secretsmanager:DescribeSecret',
        // Adoption only: a run that crashed after creating a secret checks that it holds the adopted key.
        'secretsmanager:GetSecretValue',
        'secretsmanager:RotateSecret',
        'secretsmanager:CreateSecret',
        // CreateSecret with tags; the record of the last rotation counted (rotation:recorded-version).
        'secretsmanager:TagResource',
        // How long a pending rotation has waited, before the run resumes it as stuck.
        'secretsmanager:ListSecretVersionIds',
      ],
      [grants.secretArns],
    ),
    // RotateSecret requires its caller to be allowed to invoke the rotation function; a stuck rotation is
    // resumed by invoking it with the pending version.
    statement('InvokeRotationFunction', ['lambda:InvokeFunction'], [grants.rotationFunctionArn]),
    secretsKey(grants),
    statement('PutMetricsInNamespace', ['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': grants.metricNamespace },
    }),
    ...(grants.eventBusArn === undefined
      ? []
      : [statement('PutEvents', ['events:PutEvents'], [grants.eventBusArn])]),
    statement('WriteRunReports', ['s3:PutObject'], [grants.reportObjectsArn]),
  ];
}

/** The rotation function: the four steps of one credential's rotation. */
export function rotationStatements(grants: FunctionGrants): iam.PolicyStatement[] {
  return [
    readKeysAndPlans(),
    statement('CreateApiKeys', ['apigateway:POST'], [apigatewayArn('/apikeys')]),
    attachKeysToPlans(),
    tagKeys(),
    statement(
      'RotateManagedSecrets',
      [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      [grants.secretArns],
    ),
    secretsKey(grants),
  ];
}
