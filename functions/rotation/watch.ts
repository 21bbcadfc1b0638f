import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../core/stages.js';

/** How a started rotation stands when the watch ends. */
export type RotationProgress =
  /** finishSecret moved AWSCURRENT onto the version: the rotation is done. */
  | 'done'
  /** AWSPENDING is still on the version: Secrets Manager is running (or retrying) the steps. */
  | 'in-progress'
  /** The version carries neither label any more: the rotation was abandoned (its value refused). */
  | 'abandoned';

export interface WatchOptions {
  /** Stop watching after this long; the rotation goes on without us. */
  timeoutMs: number;
  /** The longest pause between two looks (default 2 s); the first looks come sooner. */
  intervalMs?: number;
  /** Wall-clock milliseconds (tests pass a fake); default Date.now. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The stages of one version now (DescribeSecret lists only versions that carry a label). */
export async function versionStages(
  secrets: SecretsManagerClient,
  secretId: string,
  token: string,
): Promise<string[]> {
  const out = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  return out.VersionIdsToStages?.[token] ?? [];
}

/**
 * Waits until the rotation to version `token` is done (AWSCURRENT on it), abandoned, or the time is up.
 * On AWS the rotation runs after RotateSecret returned, in the rotation function, possibly retried:
 * only AWSCURRENT moving onto the version says finishSecret completed.
 */
export async function waitForRotation(
  secrets: SecretsManagerClient,
  secretId: string,
  token: string,
  options: WatchOptions,
): Promise<RotationProgress> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? pause;
  const deadline = clock() + options.timeoutMs;
  // A rotation takes about a second when nothing is wrong: look soon, then less and less often.
  let pauseMs = 200;
  for (;;) {
    const stages = await versionStages(secrets, secretId, token);
    if (stages.includes(STAGE.current)) return 'done';
    if (!stages.includes(STAGE.pending)) return 'abandoned';
    if (clock() >= deadline) return 'in-progress';
    await sleep(Math.min(pauseMs, Math.max(0, deadline - clock())));
    pauseMs = Math.min(options.intervalMs ?? 2000, pauseMs * 1.5);
  }
}
