import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer rules of eslint.config.js (docs/architecture.md), run as `npm run lint` runs them.
const eslint = new ESLint({ cwd: join(import.meta.dirname, '../..') });

async function importProblems(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layers: imports point down, never up', () => {
  // The first lint loads the TypeScript parser: seconds on a busy machine, longer than a test's budget.
  beforeAll(() => eslint.lintText('', { filePath: 'functions/core/plan.ts' }), 60_000);

  it.each([
    [
      'functions/core/plan.ts',
      "import { x } from '../reconcile/run.js';",
      /functions\/core\/ may not import functions\/reconcile\//,
    ],
    ['functions/core/plan.ts', "import { x } from 'node:fs';", /functions\/core\/ is pure/],
    [
      'functions/core/plan.ts',
      "import { x } from '@aws-sdk/client-api-gateway';",
      /functions\/core\/ is pure/,
    ],
    [
      'functions/aws/inventory.ts',
      "import { x } from '../rotation/steps.js';",
      /functions\/aws\/ may not import functions\/rotation\//,
    ],
    [
      'functions/rotation/steps.ts',
      "import { x } from '../reconcile/effects.js';",
      /functions\/rotation\/ may not import functions\/reconcile\//,
    ],
    [
      'functions/reconcile/run.ts',
      "import { x } from '../oncall/rollback.js';",
      /functions\/reconcile\/ may not import functions\/oncall\//,
    ],
    [
      'functions/commons/clients.ts',
      "import { x } from '../aws/api-keys.js';",
      /functions\/commons\/ may not import functions\/aws\//,
    ],
    [
      'functions/oncall/rollback.ts',
      "import { x } from '../../cli/main.js';",
      /may not import from outside functions/,
    ],
    [
      'infra/api-key-rotation.ts',
      "import { x } from '../functions/aws/inventory.js';",
      /infra\/ may import functions\/core\/ only/,
    ],
  ])('%s: %s is refused', async (file, source, message) => {
    expect(await importProblems(file, source)).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['functions/reconcile/run.ts', "import { x } from '../core/plan.js';"],
    ['functions/oncall/rollback.ts', "import { x } from '../reconcile/effects.js';"],
    ['functions/rotation/steps.ts', "import { x } from '../aws/api-keys.js';"],
    ['functions/core/credentials.ts', "import { x } from 'node:crypto';"],
    ['functions/reconciler.ts', "import { x } from './oncall/rollback.js';"],
    ['infra/api-key-rotation.ts', "import { x } from '../functions/core/config.js';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await importProblems(file, source)).toEqual([]);
  });
});
