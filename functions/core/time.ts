const DAY_MS = 86_400_000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** A fixed spread in whole days, [0, maxDays], from a name (FNV-1a): the same every run, no state. */
export function staggerDays(name: string, maxDays: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return maxDays <= 0 ? 0 : hash % (maxDays + 1);
}

/** A date as YYYY-MM-DD (UTC), for reasons and reports. */
export function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
