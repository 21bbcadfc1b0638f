/** Secrets Manager's staging labels, as the rotation contract uses them. */
export const STAGE = {
  /** The version consumers read: the credential's active key. */
  current: 'AWSCURRENT',
  /** The version a rotation is making (its token); on AWSCURRENT's version or none once it is done. */
  pending: 'AWSPENDING',
  /** The version AWSCURRENT moved off: the retiring key, and the one a rollback returns to. */
  previous: 'AWSPREVIOUS',
} as const;

/**
 * From DescribeSecret's VersionIdsToStages: the version AWSCURRENT is on, and a rotation under way
 * (AWSPENDING on another version; on AWSCURRENT's own version it is a finished one's leftover).
 */
export function labelledVersions(versions: Record<string, string[]> | undefined): {
  current?: string;
  pending?: string;
} {
  const ids = Object.keys(versions ?? {});
  const current = ids.find((v) => versions?.[v]?.includes(STAGE.current));
  const pending = ids.find((v) => versions?.[v]?.includes(STAGE.pending) && v !== current);
  return { current, pending };
}
