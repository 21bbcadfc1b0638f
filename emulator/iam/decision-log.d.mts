// Types of decision-log.mjs (plain JS: the Lambda containers run it with Node, without a TS loader).
export interface DecisionLog {
  policies(identityPolicies: { name: string; policy: unknown }[]): void;
  decision(
    call: { service: string; operation: string },
    decision: {
      action: string;
      resource: string;
      result: string;
      context?: Record<string, string | string[]>;
      resourcePolicy?: unknown;
      ms?: number;
    },
  ): void;
}
export function decisionLog(logFile: string | undefined, principal: string, session: string): DecisionLog;
