#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx keyrot ...` works from a clone without a build step.
import { register } from 'tsx/esm/api';

// The SDK's notice about Node.js 20 (seven lines on every call) is not the user's to act on: README's
// Node.js requirement says it (docs/aws-facts.md).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY,
});
