import { InputError } from '../functions/commons/errors.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "0", "90s", "30m", "12h", "3d" to milliseconds. */
export function parseDuration(value: string, flag = '--grace'): number {
  const match = /^(\d+)([smhd])?$/.exec(value.trim());
  if (match === null) {
    throw new InputError(
      `${flag} ${JSON.stringify(value)} is not a duration; expected 0, or a number with s, m, h or d (such as 12h)`,
    );
  }
  const amount = Number(match[1]);
  if (amount !== 0 && match[2] === undefined) {
    throw new InputError(`${flag} ${JSON.stringify(value)} needs a unit: s, m, h or d (such as ${value}h)`);
  }
  return amount * (UNIT_MS[match[2] ?? 's'] ?? 1_000);
}

/** YYYY-MM-DD as the start of that day, UTC. */
export function parseDay(value: string, flag: string): Date {
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime())) {
    throw new InputError(`${flag} ${JSON.stringify(value)} is not a date such as 2026-01-31`);
  }
  return date;
}
