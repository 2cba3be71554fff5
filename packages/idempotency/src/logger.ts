/**
 * Where the engine reports what it could not do (a claim it could not release, a lease lost to a
 * retry). Shaped so that `console`, AWS Lambda Powertools' Logger, pino-style adapters and most
 * structured loggers fit as they are.
 */
export interface IdempotencyLogger {
  debug?(message: string, attributes: Readonly<Record<string, unknown>>): void;
  info(message: string, attributes: Readonly<Record<string, unknown>>): void;
  warn(message: string, attributes: Readonly<Record<string, unknown>>): void;
  error(message: string, attributes: Readonly<Record<string, unknown>>): void;
}
