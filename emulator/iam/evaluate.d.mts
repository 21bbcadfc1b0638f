// Types of evaluate.mjs (plain JS: the Lambda containers run it with Node, without a TS loader).
export interface EvaluationRequest {
  identityPolicies: { name: string; policy: unknown }[];
  principal: string;
  account: string;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  resourcePolicy?: unknown;
}
export function evaluate(request: EvaluationRequest): 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';
export function callerContext(roleArn: string, account: string, region: string): Record<string, string>;
