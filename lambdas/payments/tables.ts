import { tableName } from '../shared/env.js';

export interface PaymentsTables {
  readonly payments: string;
  readonly ledger: string;
  readonly events: string;
}

export const paymentsTablesFromEnvironment = (): PaymentsTables => ({
  payments: tableName('payments'),
  ledger: tableName('ledger'),
  events: tableName('events'),
});
