import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { currentRequestLogContext } from './request-log-context.js';

/**
 * Powertools' own log shape, plus the context of the request being served (request-log-context.ts),
 * so a module logs without being handed the request id, tenant or key hash.
 */
class RequestContextFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        ...currentRequestLogContext(),
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/**
 * One structured JSON logger per module family. Powertools' Logger is used rather than a
 * hand-rolled one: it emits the JSON shape CloudWatch Logs Insights expects and honours
 * POWERTOOLS_LOG_LEVEL at deploy time.
 */
export const createLogger = (serviceName: string): Logger =>
  new Logger({ serviceName: `retrysafe-${serviceName}`, logFormatter: new RequestContextFormatter() });
