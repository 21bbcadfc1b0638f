import type { TestProject } from 'vitest/node';
import { functionBundles } from '../../emulator/deploy.js';
import { startEmulator, startForkServer } from '../../emulator/start.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:PORT of the run's emulator (see test/support/emulator-account.ts). */
    emulatorEndpoint: string;
  }
}

/**
 * vitest globalSetup of the integration project: one moto server (with keyrot's extension) for the
 * whole run; each test file isolates itself in its own account (newAccountId + accountPlugin).
 * The endpoint reaches tests as inject('emulatorEndpoint') and as $KEYROT_EMULATOR_ENDPOINT.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The deployed functions' bundles, built once before the workers start (they run in parallel).
  const bundles = functionBundles();
  // Files that start an emulator of their own (test/support/deployed.ts and others) fork it from here:
  // moto imported once, not once per file (the workers inherit KEYROT_FORK_SERVER).
  const forks = await startForkServer();
  process.env.KEYROT_FORK_SERVER = forks.socket;
  const [emulator] = await Promise.all([startEmulator(), bundles]);
  project.provide('emulatorEndpoint', emulator.endpoint);
  process.env.KEYROT_EMULATOR_ENDPOINT = emulator.endpoint;
  return async () => {
    await emulator.stop();
    await forks.stop();
    delete process.env.KEYROT_EMULATOR_ENDPOINT;
    delete process.env.KEYROT_FORK_SERVER;
  };
}
