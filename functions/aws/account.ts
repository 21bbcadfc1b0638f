import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { errorMessage } from '../commons/errors.js';

/** Where a run works: its account and region, for the report, the Security Hub findings and the history. */
export interface Whereabouts {
  account: string | null;
  region: string | null;
}

const known = new WeakMap<STSClient, Promise<Whereabouts>>();

/**
 * The caller's account (STS GetCallerIdentity, which needs no permission) and the clients' region, once
 * per set of clients. A failure leaves them unknown (null) with the reason: a report without its
 * account is still the run's record, and rotations never wait on it.
 */
export function whereabouts(sts: STSClient, onProblem: (problem: string) => void): Promise<Whereabouts> {
  let found = known.get(sts);
  if (found === undefined) {
    found = Promise.all([
      sts.send(new GetCallerIdentityCommand({})).then((out) => out.Account ?? null),
      sts.config.region(),
    ]).then(
      ([account, region]) => ({ account, region }),
      (error: unknown) => {
        known.delete(sts);
        onProblem(`the account could not be read (STS GetCallerIdentity): ${errorMessage(error)}`);
        return { account: null, region: null };
      },
    );
    known.set(sts, found);
  }
  return found;
}
