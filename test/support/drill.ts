import { expect } from 'vitest';
import { dayAt, type World } from './world.js';

/**
 * The consumer drills' first hundred days (30-day policy): three scheduled rotations with their grace,
 * disable and delete, a rollback inside a grace (day 91), and an emergency rotation with zero grace
 * (day 100). `at` runs each step and lets the consumers see it.
 */
export async function drillIncidents(
  world: World,
  at: (day: number, step: () => Promise<unknown>) => Promise<void>,
  credentials: { rollback: string; emergency: string },
): Promise<void> {
  for (const day of [30, 37, 51, 60, 67, 81, 90]) await at(day, () => world.run(day));
  await at(91, async () =>
    expect((await world.cli(['rollback', credentials.rollback, '--now', dayAt(91).toISOString()])).code).toBe(
      0,
    ),
  );
  await at(98, () => world.run(98));
  // The leaked key revoked the moment its successor is current.
  await at(100, async () =>
    expect(
      (
        await world.cli([
          'rotate',
          credentials.emergency,
          '--grace',
          '0',
          '--yes',
          '--now',
          dayAt(100).toISOString(),
        ])
      ).code,
    ).toBe(0),
  );
}
