import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generateApiKey, storeApiKey } from '../lambdas/auth/api-keys.js';
import { createDocumentClient } from '../lambdas/shared/dynamodb.js';
import type { AccountId } from '../lambdas/shared/ids.js';

const usage = `Usage:
  npm run keys -- create --account <account id>                 against the local stack (npm start)
  npm run keys -- create --account <account id> --table <name>  against a deployed stack (ApiKeysTable output),
                                                                with your usual AWS credentials and region

Prints the new API key once; only its SHA-256 hash is stored.`;

const accountPattern = /^acct_[A-Za-z0-9_]{1,64}$/;

const main = async (): Promise<number> => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      table: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals[0] !== 'create') {
    console.log(usage);
    return values.help === true ? 0 : 2;
  }
  const account = values.account;
  if (account === undefined || !accountPattern.test(account)) {
    console.error('--account must look like acct_<letters, digits or _>, e.g. --account acct_shop42');
    return 2;
  }
  const local = values.table === undefined;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new DynamoDBClient(
    local
      ? {
          endpoint: `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? '8000'}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : values.region === undefined
        ? {}
        : { region: values.region },
  );
  const table = values.table ?? 'retrysafe-apiKeys';
  const apiKey = generateApiKey();
  try {
    await storeApiKey(createDocumentClient(client), table, apiKey, account as AccountId);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      local
        ? `Could not reach the local stack's DynamoDB (is npm start running?): ${reason}`
        : `Could not store the key in ${table}: ${reason}`,
    );
    return 1;
  } finally {
    client.destroy();
  }
  console.log(`API key for ${account} (shown once, store it now):\n${apiKey}`);
  return 0;
};

process.exitCode = await main();
