import type { TestProject } from 'vitest/node';
import { functionBundles } from '../../emulator/deploy.js';
import { startEmulator } from '../../emulator/start.js';

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
  const [emulator] = await Promise.all([startEmulator(), functionBundles()]);
  project.provide('emulatorEndpoint', emulator.endpoint);
  process.env.KEYROT_EMULATOR_ENDPOINT = emulator.endpoint;
  return async () => {
    await emulator.stop();
    delete process.env.KEYROT_EMULATOR_ENDPOINT;
  };
}
