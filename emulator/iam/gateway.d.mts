// Types of gateway.mjs (plain JS: the Lambda containers run it with Node, without a TS loader).
export interface GatewayOptions {
  /** The emulator the gateway forwards allowed calls to. */
  upstream: string;
  /** The account of the principal (its calls are in it). */
  account: string;
  /** The role whose session signs every call through this gateway. */
  roleArn: string;
  sessionName: string;
  /** KEYROT_IAM_LOG: one JSON line per decision. */
  logFile?: string;
}
export interface IamGateway {
  /** What the caller's SDK should call instead of the emulator. */
  endpoint: string;
  newInvocation(generation?: number): void;
  close(): Promise<void>;
}
export function startIamGateway(options: GatewayOptions): Promise<IamGateway>;
