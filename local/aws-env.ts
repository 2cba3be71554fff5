/**
 * Points every AWS SDK client in this process (and in child processes that inherit the
 * environment) at the local emulators, through the SDK's own service-specific endpoint
 * variables, so handler code has no local-only branches.
 */
export const localAwsEnvironment = (endpoints: { dynamodbPort: number; sqsPort: number }): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${endpoints.dynamodbPort}`,
  AWS_ENDPOINT_URL_DYNAMODB_STREAMS: `http://127.0.0.1:${endpoints.dynamodbPort}`,
  AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${endpoints.sqsPort}`,
  // The SDK warns once per process that Node 20 support ends in 2027; Lambda runs Node 22.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

export const applyEnvironment = (variables: Record<string, string>): void => {
  for (const [name, value] of Object.entries(variables)) process.env[name] = value;
};
