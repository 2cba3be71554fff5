import type { AccountId } from './ids.js';

/**
 * The partition key of everything an account owns, in every table partitioned by account
 * (payments, events, webhook endpoints): one Query lists it, and another account's ids are
 * simply not in the partition.
 */
export const accountPartition = (account: AccountId): string => `ACCT#${account}`;
