import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SdkPlugin } from '../commons/clients.js';
import { RotationStepError } from '../commons/errors.js';
import { ROTATION_STEPS, runRotationStep, type RotationDeps } from './steps.js';

export interface RotationRequest {
  secretId: string;
  /** Secrets Manager's own rotation schedule, in days: a backstop behind the reconciler (scheduleDays). */
  scheduleDays: number;
  /** The new version's id (ClientRequestToken); absent: Secrets Manager picks one. */
  token?: string | undefined;
  rotationLambdaArn?: string | undefined;
}

/**
 * How rotations run. `start` is RotateSecret: on AWS it only starts the rotation, and Secrets Manager
 * invokes the rotation function once per step later (waitForRotation observes the end). `resume` runs
 * the four steps of a pending version now, as Secrets Manager's own retry does: RotateSecret can't
 * resume (it refuses while AWSPENDING is on a version other than AWSCURRENT's), so a stuck rotation is
 * carried on by invoking the rotation function with its token. Every step is idempotent per token.
 */
export interface RotationDriver {
  /** Starts a rotation; returns the version id being rotated to. */
  start(request: RotationRequest): Promise<string>;
  /** Runs createSecret..finishSecret for the pending version `token` and returns when they are done. */
  resume(request: { secretId: string; token: string }): Promise<void>;
}

/** The rotation schedule Secrets Manager keeps: a backstop behind the reconciler (see rotationRules). */
function rotateSecretCommand(request: RotationRequest, immediately: boolean): RotateSecretCommand {
  return new RotateSecretCommand({
    SecretId: request.secretId,
    ClientRequestToken: request.token,
    RotationLambdaARN: request.rotationLambdaArn,
    RotationRules: { AutomaticallyAfterDays: request.scheduleDays },
    RotateImmediately: immediately,
  });
}

/** The rotation function's answer to one step; its error names the step, never a key value. */
async function invokeStep(
  lambda: LambdaClient,
  functionArn: string,
  event: { Step: string; SecretId: string; ClientRequestToken: string },
): Promise<void> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  if (out.FunctionError === undefined) return;
  let message = out.FunctionError;
  try {
    const body = JSON.parse(new TextDecoder().decode(out.Payload)) as { errorMessage?: string };
    message = body.errorMessage ?? message;
  } catch {
    // not JSON: keep the FunctionError kind
  }
  throw new RotationStepError(`rotation function ${functionArn} failed at ${event.Step}: ${message}`);
}

/** In AWS: RotateSecret starts the rotation; a stuck one is resumed by invoking the rotation function. */
export function secretsManagerDriver(
  secrets: SecretsManagerClient,
  lambda: LambdaClient,
  rotationLambdaArn: string | undefined,
): RotationDriver {
  return {
    async start(request) {
      const out = await secrets.send(rotateSecretCommand(request, true));
      return out.VersionId ?? request.token ?? '';
    },
    async resume({ secretId, token }) {
      if (rotationLambdaArn === undefined) {
        throw new RotationStepError(
          `rotation of ${secretId} to version ${token} can't be resumed: rotationLambdaArn is not configured`,
        );
      }
      for (const step of ROTATION_STEPS) {
        await invokeStep(lambda, rotationLambdaArn, {
          Step: step,
          SecretId: secretId,
          ClientRequestToken: token,
        });
      }
    },
  };
}

/** Header the emulator reads (test-only): RotateSecret does its bookkeeping and invokes nothing. */
export const CALLER_DRIVES_HEADER = 'x-keyrot-rotation-driver';

/**
 * An SDK plugin for the Secrets Manager client of a process that drives rotations itself on the
 * emulator (inProcessDriver): every RotateSecret it sends tells the emulator not to invoke a function.
 * AWS ignores the header; nothing outside tests and `--rotation in-process` adds it.
 */
export const callerDrivesRotationPlugin: SdkPlugin = {
  applyToStack(stack) {
    stack.add(
      (next, context) => async (args) => {
        const http = args.request as { headers?: Record<string, string> };
        if (context.commandName === 'RotateSecretCommand' && http.headers !== undefined) {
          http.headers[CALLER_DRIVES_HEADER] = 'caller';
        }
        return next(args);
      },
      { step: 'build', name: 'keyrotCallerDrivesRotation' },
    );
  },
};

/**
 * For unit-speed tests on the emulator (with callerDrivesRotationPlugin on the Secrets Manager client):
 * RotateSecret's bookkeeping, then the four steps in this process, in order, as the rotation function
 * would run them. Lifecycle tests, the demo and the benchmark use the deployed function instead.
 */
export function inProcessDriver(deps: RotationDeps): RotationDriver {
  const runSteps = async (secretId: string, token: string) => {
    for (const step of ROTATION_STEPS) {
      await runRotationStep({ Step: step, SecretId: secretId, ClientRequestToken: token }, deps);
    }
  };
  return {
    async start(request) {
      const out = await deps.secrets.send(rotateSecretCommand(request, true));
      const token = out.VersionId;
      if (token === undefined) throw new Error(`RotateSecret on ${request.secretId} returned no VersionId`);
      await runSteps(request.secretId, token);
      return token;
    },
    resume: ({ secretId, token }) => runSteps(secretId, token),
  };
}

/** Turns rotation on with the policy's schedule without rotating now (AWS Config and Security Hub read it). */
export async function configureRotation(
  secrets: SecretsManagerClient,
  request: Omit<RotationRequest, 'token'>,
): Promise<void> {
  await secrets.send(rotateSecretCommand(request, false));
}
