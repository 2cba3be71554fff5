import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { openDynamo } from '../cli/aws-clients.js';
import { parseFlags, UsageError, wholeNumberFlag } from '../cli/flags.js';
import { type CliIo, reason } from '../cli/io.js';
import {
  type ApiKeyId,
  apiKeyIdOf,
  type ApiKeySummary,
  generateApiKey,
  hashApiKey,
  type KeyMode,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  storeApiKey,
} from '../lambdas/auth/api-keys.js';
import { defaultKeyCacheTtlMs } from '../lambdas/auth/authenticate.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { localTableName } from '../local/provision.js';
import { readSettings } from '../local/settings.js';

const defaultGraceHours = 24;

export const usage = `Usage: npm run keys -- <command> --account <account id> [options]

Commands:
  create                      a new key for the account, shown once (only its SHA-256 hash is stored)
  list                        the account's keys: id, first characters, created, status
  revoke --key <key id>       the key stops working within ${defaultKeyCacheTtlMs / 1000} s (running functions cache a key that long)
  rotate --key <key id>       a new key, shown once; the old one keeps working for the grace period
    --grace-hours <n>         how long the old key keeps working (default ${defaultGraceHours}; 0 ends it as a revocation does)

Where (default: the running local stack, npm start, on DYNAMODB_PORT or 8000):
  --table <name>              a deployed stack's ApiKeysTable output, with your usual AWS credentials
  --region <region>           its AWS region (default: AWS_REGION)

Keys:
  --test | --live             the kind of key made: sk_test_ (a sandbox processor) or sk_live_ (real money);
                              default sk_test_ on the local stack, sk_live_ on a deployed one

Exit codes: 0 done, 1 nothing changed (no such key, already ended), 2 bad flags or the table unreachable.`;

const accountPattern = /^acct_[A-Za-z0-9_]{1,64}$/;
const keyIdPattern = /^key_[0-9a-f]{16}$/;

type KeyCommand =
  | { readonly kind: 'create' }
  | { readonly kind: 'list' }
  | { readonly kind: 'revoke'; readonly key: ApiKeyId }
  | { readonly kind: 'rotate'; readonly key: ApiKeyId; readonly graceSeconds: number };

interface KeyOptions {
  readonly command: KeyCommand;
  readonly account: AccountId;
  readonly table: string | undefined;
  readonly region: string | undefined;
  readonly mode: KeyMode;
}

const keyIdFlag = (raw: string | undefined): ApiKeyId => {
  if (raw === undefined || !keyIdPattern.test(raw))
    throw new UsageError('--key must be a key id from `npm run keys -- list`, e.g. key_0123456789abcdef');
  return raw as ApiKeyId;
};

export const parseKeyOptions = (argv: readonly string[]): KeyOptions => {
  const [name, ...rest] = argv;
  const flags = parseFlags(rest, {
    account: { type: 'string' },
    key: { type: 'string' },
    'grace-hours': { type: 'string' },
    table: { type: 'string' },
    region: { type: 'string' },
    test: { type: 'boolean' },
    live: { type: 'boolean' },
  });
  const account = flags.text('account');
  if (account === undefined || !accountPattern.test(account))
    throw new UsageError('--account must look like acct_<letters, digits or _>, e.g. --account acct_shop42');
  if (flags.has('test') && flags.has('live')) throw new UsageError('--test and --live exclude each other');
  const table = flags.text('table');
  const mode: KeyMode = flags.has('test') ? 'test' : flags.has('live') ? 'live' : table === undefined ? 'test' : 'live';
  const command: KeyCommand = (() => {
    switch (name) {
      case 'create':
      case 'list':
        return { kind: name };
      case 'revoke':
        return { kind: 'revoke', key: keyIdFlag(flags.text('key')) };
      case 'rotate':
        return {
          kind: 'rotate',
          key: keyIdFlag(flags.text('key')),
          graceSeconds: (wholeNumberFlag(flags.text('grace-hours'), 'grace-hours', 0) ?? defaultGraceHours) * 3600,
        };
      default:
        throw new UsageError(name === undefined ? 'Name a command.' : `Unknown command "${name}".`);
    }
  })();
  return { command, account: account as AccountId, table, region: flags.text('region'), mode };
};

const listing = (keys: readonly ApiKeySummary[]): string =>
  keys
    .map((key) =>
      [
        key.id,
        `${key.hint ?? '?'}…`,
        `created ${key.createdAt}`,
        key.status === 'active'
          ? 'active'
          : key.status === 'ending'
            ? `works until ${key.endsAt ?? ''}`
            : `${key.status} ${key.endsAt ?? ''}`,
        ...(key.replacedBy === undefined ? [] : [`replaced by ${key.replacedBy}`]),
      ].join('  '),
    )
    .join('\n');

const run = async (client: DynamoDBDocumentClient, table: string, options: KeyOptions, io: CliIo): Promise<number> => {
  const { command, account } = options;
  const now = new Date(io.now());
  switch (command.kind) {
    case 'create': {
      const apiKey = generateApiKey(options.mode);
      await storeApiKey(client, table, apiKey, account, now);
      io.out(`API key ${apiKeyIdOf(hashApiKey(apiKey))} for ${account} (shown once, store it now):\n${apiKey}`);
      return 0;
    }
    case 'list': {
      const keys = await listApiKeys(client, table, account, now.getTime());
      io.out(keys.length === 0 ? `${account} has no keys.` : listing(keys));
      return 0;
    }
    case 'revoke': {
      const result = await revokeApiKey(client, table, account, command.key, now);
      if (result !== 'revoked') {
        io.err(result === 'no-such-key' ? `${account} has no key ${command.key}.` : `${command.key} was already revoked or expired.`);
        return 1;
      }
      io.out(`Revoked ${command.key}: refused everywhere within ${defaultKeyCacheTtlMs / 1000} s.`);
      return 0;
    }
    case 'rotate': {
      const result = await rotateApiKey(client, table, account, command.key, {
        graceSeconds: command.graceSeconds,
        mode: options.mode,
        now,
      });
      if (result.kind !== 'rotated') {
        io.err(
          result.kind === 'no-such-key'
            ? `${account} has no key ${command.key}.`
            : `${command.key} is already ending: rotate its replacement.`,
        );
        return 1;
      }
      io.out(
        `New API key ${result.id} for ${account} (shown once, store it now):\n${result.apiKey}\n${command.key} keeps working until ${result.oldKeyEndsAt}.`,
      );
      return 0;
    }
  }
};

export const main = async (argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(usage);
    return 0;
  }
  let options: KeyOptions;
  try {
    options = parseKeyOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${usage}`);
    return 2;
  }
  const local = options.table === undefined;
  const settings = readSettings([], env);
  const connection = openDynamo(
    local ? { kind: 'local-stack', settings } : { kind: 'remote', region: options.region, dynamodbEndpoint: undefined },
  );
  const table = options.table ?? localTableName('apiKeys');
  try {
    return await run(connection.client, table, options, io);
  } catch (error) {
    io.err(
      local
        ? `Cannot reach the local stack's DynamoDB on port ${settings.dynamodbPort}: ${reason(error)}. Is \`npm start\` running (with the same DYNAMODB_PORT)?`
        : `Cannot use ${table}: ${reason(error)}`,
    );
    return 2;
  } finally {
    connection.close();
  }
};
