import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ROTATION_STEPS, runRotationStep, type RotationDeps } from './steps.js';

export interface RotationRequest {
  secretId: string;
  periodDays: number;
  /** The pending version to resume; absent: a new rotation. */
  token?: string | undefined;
  rotationLambdaArn?: string | undefined;
}

/** Starts (or resumes) one credential's rotation. Returns the version id being rotated to. */
export type RotationStarter = (request: RotationRequest) => Promise<string>;

function rotateSecretCommand(request: RotationRequest, immediately: boolean): RotateSecretCommand {
  return new RotateSecretCommand({
    SecretId: request.secretId,
    ClientRequestToken: request.token,
    RotationLambdaARN: request.rotationLambdaArn,
    RotationRules: { AutomaticallyAfterDays: request.periodDays },
    RotateImmediately: immediately,
  });
}

/** In AWS: Secrets Manager records the pending version and invokes the rotation Lambda's four steps. */
export function secretsManagerStarter(secrets: SecretsManagerClient): RotationStarter {
  return async (request) => {
    const out = await secrets.send(rotateSecretCommand(request, true));
    return out.VersionId ?? '';
  };
}

/**
 * On the emulator, whose RotateSecret can't run a Lambda: the same RotateSecret bookkeeping, then the
 * four steps in-process, in the documented order, exactly as the rotation function would run them.
 */
export function inProcessStarter(deps: RotationDeps): RotationStarter {
  return async (request) => {
    const out = await deps.secrets.send(rotateSecretCommand(request, true));
    const token = out.VersionId;
    if (token === undefined) throw new Error(`RotateSecret on ${request.secretId} returned no VersionId`);
    for (const step of ROTATION_STEPS) {
      await runRotationStep({ Step: step, SecretId: request.secretId, ClientRequestToken: token }, deps);
    }
    return token;
  };
}

/** Turns rotation on with the policy's schedule without rotating now (AWS Config and Security Hub read it). */
export async function configureRotation(
  secrets: SecretsManagerClient,
  request: Omit<RotationRequest, 'token'>,
): Promise<void> {
  await secrets.send(rotateSecretCommand(request, false));
}
