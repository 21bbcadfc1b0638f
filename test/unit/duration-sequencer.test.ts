import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import DurationSequencer from '../../scripts/duration-sequencer.js';

const root = '/repo';
const spec = (project: string, file: string) =>
  ({ project: { name: project }, moduleId: `${root}/${file}` }) as unknown as TestSpecification;

/** A run's context as the sequencer reads it: vitest's cached durations (ms) and failures per file. */
const ctx = (cached: Record<string, { duration: number; failed: boolean }>) =>
  ({
    config: { root, shard: undefined },
    cache: { getFileTestResults: (key: string) => cached[key] },
  }) as unknown as Vitest;

const order = async (sequencer: DurationSequencer, files: TestSpecification[]) =>
  (await sequencer.sort(files)).map((s) => `${s.project.name}:${s.moduleId.slice(root.length + 1)}`);

describe('the test order: slowest file first, on a fresh clone too', () => {
  const files = [
    spec('unit', 'test/unit/a.test.ts'),
    spec('integration', 'test/integration/emulator/harness.test.ts'),
    spec('integration', 'test/integration/new.test.ts'),
    spec('integration', 'test/integration/lifecycle/year-of-runs.test.ts'),
    spec('infra', 'test/infra/package.test.ts'),
  ];

  it('without vitest cache: by the committed times, unknown (new) files first, projects in name order', async () => {
    // test/file-times.json as committed: the year-long file and the package test are among the slowest.
    const sequencer = new DurationSequencer(ctx({}));
    expect(await order(sequencer, files)).toEqual([
      'infra:test/infra/package.test.ts',
      'integration:test/integration/new.test.ts',
      'integration:test/integration/lifecycle/year-of-runs.test.ts',
      'integration:test/integration/emulator/harness.test.ts',
      'unit:test/unit/a.test.ts',
    ]);
  });

  it("with vitest's cache: its durations win, and a file that failed last time runs first", async () => {
    const sequencer = new DurationSequencer(
      ctx({
        'integration:test/integration/emulator/harness.test.ts': { duration: 90_000, failed: false },
        'integration:test/integration/lifecycle/year-of-runs.test.ts': { duration: 1_000, failed: true },
        'integration:test/integration/new.test.ts': { duration: 5_000, failed: false },
      }),
    );
    expect((await order(sequencer, files)).slice(1, 4)).toEqual([
      'integration:test/integration/lifecycle/year-of-runs.test.ts',
      'integration:test/integration/emulator/harness.test.ts',
      'integration:test/integration/new.test.ts',
    ]);
  });
});
