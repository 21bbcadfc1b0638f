import {
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { accountPlugin } from './emulator-account.js';

interface Statement {
  Sid?: string;
  Action?: string | string[];
}

/** An IAM client of the account, with the plain SDK: what the tests read and change roles with. */
export function plainIam(target: { endpoint: string; accountId: string; region: string }): IAMClient {
  const iam = new IAMClient({
    region: target.region,
    endpoint: target.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  iam.middlewareStack.use(accountPlugin(target.accountId));
  return iam;
}

/** A role's inline policy documents, decoded, in the order IAM lists them. */
export async function inlinePolicies(iam: IAMClient, roleName: string): Promise<string[]> {
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  return Promise.all(
    PolicyNames.map(async (PolicyName) =>
      decodeURIComponent(
        (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }))).PolicyDocument ?? '',
      ),
    ),
  );
}

/**
 * Takes one statement off a role's inline policies with the plain IAM API, as a hand edit in the console
 * would: by Sid, or by an action it grants (a statement CDK writes without a Sid). Answers a function
 * that puts the policy back as it was (the fix).
 */
export async function dropStatement(
  target: { endpoint: string; accountId: string; region: string },
  roleName: string,
  statement: string | { action: string },
): Promise<() => Promise<void>> {
  const iam = plainIam(target);
  const matches = (s: Statement) =>
    typeof statement === 'string' ? s.Sid === statement : [s.Action ?? []].flat().includes(statement.action);
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  for (const name of PolicyNames) {
    const { PolicyDocument = '' } = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
    );
    const original = decodeURIComponent(PolicyDocument);
    const document = JSON.parse(original) as { Statement: Statement[] };
    const kept = document.Statement.filter((s) => !matches(s));
    if (kept.length === document.Statement.length) continue;
    const put = (doc: string) =>
      iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: doc }));
    await put(JSON.stringify({ ...document, Statement: kept }));
    return async () => {
      await put(original);
    };
  }
  throw new Error(`no inline policy of ${roleName} has a statement ${JSON.stringify(statement)}`);
}
