import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per module family. Powertools' Logger is used rather than a
 * hand-rolled one: it emits the JSON shape CloudWatch Logs Insights expects, adds the Lambda
 * context (request id, cold start) and honours POWERTOOLS_LOG_LEVEL at deploy time.
 */
export const createLogger = (serviceName: string): Logger => new Logger({ serviceName: `retrysafe-${serviceName}` });
