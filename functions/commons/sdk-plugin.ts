import type { Pluggable } from '@aws-sdk/types';

/** An SDK plugin for any client: the clients' input and output types differ. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SdkPlugin = Pluggable<any, any>;
