import { randomUUID } from 'node:crypto';
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetUsagePlanCommand,
  type APIGatewayClient,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InputError, isAwsError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { scheduleDays } from '../core/credentials.js';
import { CREDENTIAL_PATTERN, TAG, tagName, creationTags } from '../core/tags.js';
import { formatSecretValue, generateKeyValue, keyNameFor } from '../rotation/secret-value.js';
import { configureRotation } from '../rotation/starter.js';

export interface OnboardInput {
  credential: string;
  usagePlanIds: string[];
  /** A policy name from the configuration; absent: the default policy. */
  policy?: string | undefined;
}

export interface OnboardResult {
  credential: string;
  secretArn: string;
  keyId: string;
  version: string;
}

/** Creates a managed credential: its secret (AWSCURRENT) and generation 1 of its key, in the given plans. */
export async function onboardCredential(
  deps: { apigw: APIGatewayClient; secrets: SecretsManagerClient; config: Config; now: Date },
  input: OnboardInput,
): Promise<OnboardResult> {
  const { config } = deps;
  if (!CREDENTIAL_PATTERN.test(input.credential)) {
    throw new InputError(
      `credential ${JSON.stringify(input.credential)} is not a valid name; expected 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`,
    );
  }
  const policyName = input.policy ?? config.defaultPolicy;
  const policy = config.policies[policyName];
  if (policy === undefined) {
    throw new InputError(
      `policy ${JSON.stringify(policyName)} is not one of ${Object.keys(config.policies).join(', ')}`,
    );
  }
  await checkPlans(deps.apigw, input.usagePlanIds);
  const version = randomUUID();
  const apiKey = generateKeyValue();
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  let secretArn: string;
  try {
    const secret = await deps.secrets.send(
      new CreateSecretCommand({
        Name: `${config.secretPrefix}${input.credential}`,
        Description: `API Gateway key of credential ${input.credential}, rotated by keyrot`,
        ClientRequestToken: version,
        KmsKeyId: config.secretKmsKeyId,
        SecretString: formatSecretValue({ credential: input.credential, apiKey }),
        Tags: [
          { Key: credentialTag, Value: input.credential },
          // Onboarding is no rotation: the first one recorded is the one after this version.
          { Key: tagName(config.tagPrefix, TAG.recordedVersion), Value: version },
        ],
      }),
    );
    secretArn = secret.ARN ?? '';
  } catch (error) {
    if (isAwsError(error, 'ResourceExistsException')) {
      throw new InputError(
        `credential ${input.credential} already exists (secret ${config.secretPrefix}${input.credential})`,
      );
    }
    throw error;
  }
  const key = await deps.apigw.send(
    new CreateApiKeyCommand({
      name: keyNameFor(input.credential, version),
      description: `keyrot: credential ${input.credential}, generation 1`,
      enabled: true,
      value: apiKey,
      tags: creationTags(config.tagPrefix, {
        credential: input.credential,
        generation: 1,
        version,
        createdAt: deps.now,
        activatedAt: deps.now,
        policy: input.policy,
      }),
    }),
  );
  const keyId = key.id ?? '';
  for (const usagePlanId of input.usagePlanIds) {
    await deps.apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
  }
  await configureRotation(deps.secrets, {
    secretId: secretArn,
    scheduleDays: scheduleDays(policy),
    rotationLambdaArn: config.rotationLambdaArn,
  });
  return { credential: input.credential, secretArn, keyId, version };
}

/**
 * Before the first write: every plan exists, and no two share an API stage (API Gateway lets a key
 * reference one usage plan per stage, so the second attachment would fail after the key exists).
 */
async function checkPlans(apigw: APIGatewayClient, usagePlanIds: string[]): Promise<void> {
  const plans: UsagePlan[] = [];
  const missing: string[] = [];
  for (const usagePlanId of new Set(usagePlanIds)) {
    try {
      plans.push(await apigw.send(new GetUsagePlanCommand({ usagePlanId })));
    } catch (error) {
      if (!isAwsError(error, 'NotFoundException')) throw error;
      missing.push(usagePlanId);
    }
  }
  if (missing.length > 0) {
    throw new InputError(
      `usage plan(s) ${missing.join(', ')} not found in this account and region; list them with: aws apigateway get-usage-plans`,
    );
  }
  const planOfStage = new Map<string, string>();
  for (const plan of plans) {
    for (const stage of plan.apiStages ?? []) {
      const name = `${stage.apiId}:${stage.stage}`;
      const other = planOfStage.get(name);
      if (other !== undefined) {
        throw new InputError(
          `usage plans ${other} and ${plan.id} both open API stage ${name}: a key can be in only one usage plan per API stage; choose one of them`,
        );
      }
      planOfStage.set(name, plan.id ?? '');
    }
  }
}
