import type { TestProject } from 'vitest/node';
import { startEmulator } from '../../emulator/start.js';

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorEndpoint: string;
  }
}

/** One moto server for the whole integration run; each test file isolates itself with its own account. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator();
  project.provide('emulatorEndpoint', emulator.endpoint);
  process.env.KEYROT_EMULATOR_ENDPOINT = emulator.endpoint;
  return () => emulator.stop();
}
