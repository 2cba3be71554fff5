import { fulfilmentTableName } from '../tables.js';
import { notifierHandler } from './service.js';

/** C: the downstream notifier the receiver calls, idempotent on its own. */
export const handler = notifierHandler({
  idempotencyTable: () => fulfilmentTableName('notifierIdempotency'),
  notificationsTable: () => fulfilmentTableName('notifications'),
});
