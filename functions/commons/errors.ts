/** Base of every error this service raises on purpose; messages never carry a key value. */
export class KeyrotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A rotation step found the secret or the keys in a state it must not continue from. */
export class RotationStepError extends KeyrotError {}

/** A secret's value is not the JSON this service writes. */
export class SecretFormatError extends KeyrotError {}

/** The action can't go now but nothing is wrong: the next run does it (another run holds it). */
export class DeferredError extends KeyrotError {}

/**
 * A rotation was started and Secrets Manager is still running it when the run stopped watching: not a
 * failure. Whichever run first sees it finished records it (record-rotation).
 */
export class RotationStartedError extends KeyrotError {
  constructor(
    message: string,
    readonly version: string,
  ) {
    super(message);
  }
}

/** Bad input from a person: a flag, a file, a name. The CLI exits 2 on it. */
export class InputError extends KeyrotError {}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** SDK errors carry the service's exception name in `name`. */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
