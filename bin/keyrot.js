#!/usr/bin/env node
// In a clone: runs the TypeScript CLI through tsx, so `npx keyrot ...` works without a build step. The
// installed package's bin is cli/bin.ts compiled (scripts/build-package.ts).
import { register } from 'tsx/esm/api';

register();
await import('../cli/bin.ts');
