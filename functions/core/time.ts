const DAY_MS = 86_400_000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** A date as YYYY-MM-DD (UTC), for reasons and reports. */
export function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
