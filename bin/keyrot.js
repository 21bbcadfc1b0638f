#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx keyrot ...` works from a clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY,
});
