/** Secrets Manager's staging labels, as the rotation contract uses them. */
export const STAGE = {
  /** The version consumers read: the credential's active key. */
  current: 'AWSCURRENT',
  /** The version a rotation is making (its token); on AWSCURRENT's version or none once it is done. */
  pending: 'AWSPENDING',
  /** The version AWSCURRENT moved off: the retiring key, and the one a rollback returns to. */
  previous: 'AWSPREVIOUS',
} as const;
