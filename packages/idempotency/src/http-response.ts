/** An API Gateway (REST v1, HTTP v2, function URL) proxy result whose headers are always a flat map. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}
