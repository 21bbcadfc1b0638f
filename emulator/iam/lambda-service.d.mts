// Types of lambda-service.mjs (plain JS: run by the emulator with Node, without a TS loader).
export type Use =
  | { kind: 'logs'; group: string; stream: string; createGroup?: boolean }
  | { kind: 'dead-letter'; target: string };
export interface ServiceCheck {
  service: string;
  operation: string;
  action: string;
  resource: string;
}
export function lambdaServiceChecks(use: Use, region: string, account: string): ServiceCheck[];
export function decideUse(
  request: {
    role: string;
    session: string;
    account: string;
    region: string;
    policies: { name: string; policy: unknown }[];
    use: Use;
  },
  logFile?: string,
): { result: string; action: string; resource: string };
