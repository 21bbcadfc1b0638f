import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClients } from '../commons/clients.js';
import type { Config } from '../core/config.js';
import type { RotationDriver } from '../rotation/starter.js';

/** What the on-call commands work with: the account's clients, the configuration, the time. */
export interface OnCallDeps {
  clients: AwsClients;
  config: Config;
  now: Date;
  log: Logger;
  rotation: RotationDriver;
  sleep?: (ms: number) => Promise<void>;
}
