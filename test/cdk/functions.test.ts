import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  accessLevels,
  deadLetterQueueUrlEnvVar,
  functions,
  queueUrlEnvVar,
  tableDeployed,
  tableEnvVar,
  tables,
  type FunctionName,
  type FunctionSpec,
  type QueueName,
  type TableAccess,
  type TableName,
  type TableSpec,
} from '../../lambdas/topology.js';
import { tableActions } from '../../lib/table-grants.js';
import { actionsOf, actionsOn, arnOf, logicalIdOf, resourcesOf, statementsOfRole, synthesize } from './synthesize.js';

const { stack, template } = synthesize();
const functionEntries = Object.entries(functions) as [FunctionName, FunctionSpec][];

interface FunctionResource {
  readonly Properties: {
    readonly Runtime: string;
    readonly Architectures: string[];
    readonly MemorySize: number;
    readonly Timeout: number;
    readonly Handler: string;
    readonly TracingConfig: unknown;
    readonly LoggingConfig: Record<string, unknown>;
    readonly Environment: { readonly Variables: Record<string, unknown> };
  };
}

const functionResource = (name: FunctionName, from = template): FunctionResource => {
  const resource = (from.findResources('AWS::Lambda::Function') as Record<string, FunctionResource>)[
    logicalIdOf(stack.functions.named(name))
  ];
  if (resource === undefined) throw new Error(`No function resource for ${name}`);
  return resource;
};

const environmentOf = (name: FunctionName, from = template): Record<string, unknown> =>
  functionResource(name, from).Properties.Environment.Variables;

// Single-region: keyOwners (onlyMultiRegion) is not deployed; multi-region.test.ts covers it.
const tableNames = (Object.keys(tables) as TableName[]).filter((table) =>
  tableDeployed(tables[table], { processor: 'sandbox', multiRegion: false }),
);

const roleOf = (name: FunctionName): IConstruct => {
  const role = stack.functions.named(name).role;
  if (role === undefined) throw new Error(`${name} has no role`);
  return role;
};

const statementsOf = (name: FunctionName) => statementsOfRole(template, roleOf(name));

const sorted = (actions: readonly string[]): string[] => [...actions].sort();

const levelsOf = (spec: FunctionSpec, table: TableName): readonly TableAccess[] => {
  const accesses = spec.tables[table];
  return accesses === undefined ? [] : accessLevels(accesses);
};

describe('Lambda functions', () => {
  it('deploys exactly the functions of the topology', () => {
    template.resourceCountIs('AWS::Lambda::Function', functionEntries.length);
  });

  it.each(functionEntries)('%s runs on Node.js 22 on arm64 with the memory and timeout of the topology', (name, spec) => {
    expect(functionResource(name).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: spec.memoryMb,
      Timeout: spec.timeoutSeconds,
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
    });
  });

  it.each(functionEntries)('%s logs JSON to its own log group with a finite retention', (name) => {
    const logGroup = stack.functions.named(name).logGroup;
    expect(functionResource(name).Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON',
      ApplicationLogLevel: 'INFO',
      SystemLogLevel: 'WARN',
      LogGroup: { Ref: logicalIdOf(logGroup) },
    });
    const logGroups = template.findResources('AWS::Logs::LogGroup') as Record<string, { Properties: { RetentionInDays?: number } }>;
    expect(logGroups[logicalIdOf(logGroup)]?.Properties.RetentionInDays).toBe(30);
  });

  it.each(functionEntries)('%s learns the names of exactly the tables and queues it may use', (name, spec) => {
    const environment = environmentOf(name);
    const expected: Record<string, unknown> = {};
    for (const table of (Object.keys(spec.tables) as TableName[]).filter((deployedTable) => tableNames.includes(deployedTable))) {
      expected[tableEnvVar(table)] = { Ref: logicalIdOf(stack.tables.named(table)) };
    }
    for (const queue of Object.keys(spec.queues ?? {}) as QueueName[]) {
      expected[queueUrlEnvVar(queue)] = { Ref: logicalIdOf(stack.queues.byName[queue].queue) };
      expected[deadLetterQueueUrlEnvVar(queue)] = { Ref: logicalIdOf(stack.queues.byName[queue].deadLetterQueue) };
    }
    const resourceVariables = Object.fromEntries(Object.entries(environment).filter(([key]) => /^(TABLE|QUEUE_URL|DLQ_URL)_/.test(key)));
    expect(resourceVariables).toEqual(expected);
    expect(environment.POWERTOOLS_SERVICE_NAME).toMatch(/^retrysafe-[a-z-]+$/);
  });

  it('points processor callers at the function URL, signed with IAM', () => {
    const { processorUrl } = stack.functions;
    if (processorUrl === undefined) throw new Error('The sandbox stack has no processor URL');
    const urlId = logicalIdOf(processorUrl);
    for (const [name, spec] of functionEntries) {
      const environment = environmentOf(name);
      if (spec.callsProcessor === true) {
        expect(environment.PROCESSOR_URL).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
        expect(environment.PROCESSOR_AUTH).toBe('iam');
      } else {
        expect(environment).not.toHaveProperty('PROCESSOR_URL');
      }
    }
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf(stack.functions.named('processor')), 'Arn'] },
    });
  });

  it('never lets a deployed function deliver webhooks to loopback addresses', () => {
    for (const [name] of functionEntries) expect(environmentOf(name)).not.toHaveProperty('WEBHOOK_ALLOW_LOOPBACK');
  });

  it('passes handler settings from the context only to the functions they concern', () => {
    const configured = synthesize({
      'retrysafe:idempotencyTtlSeconds': '86400',
      'retrysafe:rateLimitPerMinute': 120,
      'retrysafe:rateLimitBurst': '40',
      'retrysafe:rateLimitFailMode': 'closed',
      'retrysafe:webhookRetrySchedule': '60, 300,1800',
      'retrysafe:webhookTimeoutMs': '5000',
      'retrysafe:processorTimeoutMs': '4000',
      'retrysafe:logLevel': 'DEBUG',
    });
    const settingsOf = (name: FunctionName) =>
      Object.fromEntries(
        Object.entries(environmentOf(name, configured.template)).filter(([key]) =>
          /^(IDEMPOTENCY|RATE_LIMIT|WEBHOOK|PROCESSOR_TIMEOUT)/.test(key),
        ),
      );
    expect(settingsOf('charges')).toEqual({
      IDEMPOTENCY_TTL_SECONDS: '86400',
      RATE_LIMIT_PER_MINUTE: '120',
      RATE_LIMIT_BURST: '40',
      RATE_LIMIT_FAIL_MODE: 'closed',
      PROCESSOR_TIMEOUT_MS: '4000',
    });
    expect(settingsOf('account')).toEqual({
      IDEMPOTENCY_TTL_SECONDS: '86400',
      RATE_LIMIT_PER_MINUTE: '120',
      RATE_LIMIT_BURST: '40',
      RATE_LIMIT_FAIL_MODE: 'closed',
    });
    expect(settingsOf('webhookDispatcher')).toEqual({ WEBHOOK_RETRY_SCHEDULE: '60,300,1800', WEBHOOK_TIMEOUT_MS: '5000' });
    expect(settingsOf('processor')).toEqual({});
    expect(functionResource('charges', configured.template).Properties.LoggingConfig.ApplicationLogLevel).toBe('DEBUG');
  });

  it('leaves handler settings to the handlers’ own defaults when the context has none', () => {
    for (const [name] of functionEntries) {
      expect(Object.keys(environmentOf(name)).filter((key) => /^(IDEMPOTENCY|RATE_LIMIT|WEBHOOK|PROCESSOR_TIMEOUT)/.test(key))).toEqual([]);
    }
  });
});

describe('least-privilege grants', () => {
  it('lets the charges function only append to the ledger: no update, delete or read', () => {
    const ledgerActions = actionsOn(statementsOf('charges'), arnOf(stack.tables.named('ledger')));
    expect(ledgerActions).toEqual(['dynamodb:ConditionCheckItem', 'dynamodb:PutItem']);
    expect(ledgerActions).not.toContain('dynamodb:UpdateItem');
    expect(ledgerActions).not.toContain('dynamodb:DeleteItem');
    expect(ledgerActions).not.toContain('dynamodb:BatchWriteItem');
  });

  it.each(['charges', 'completer'] as const)(
    'lets %s read, create and update payments, the system of record, but never delete or batch-write them',
    (name) => {
      expect(actionsOn(statementsOf(name), arnOf(stack.tables.named('payments')))).toEqual(
        sorted([
          'dynamodb:BatchGetItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ]),
      );
    },
  );

  it('lets no function delete a payment or a ledger entry', () => {
    for (const [name] of functionEntries) {
      for (const table of ['payments', 'ledger'] as const) {
        const actions = actionsOn(statementsOf(name), arnOf(stack.tables.named(table)));
        expect(actions, `${name} on ${table}`).not.toContain('dynamodb:DeleteItem');
        expect(actions, `${name} on ${table}`).not.toContain('dynamodb:BatchWriteItem');
      }
    }
  });

  it.each(functionEntries)('%s reaches exactly the tables of its topology entry, at its access levels', (name, spec) => {
    const statements = statementsOf(name);
    for (const table of tableNames) {
      const levels = levelsOf(spec, table);
      const expected = new Set(levels.flatMap((level) => (level === 'stream' ? [] : tableActions[level])));
      expect(actionsOn(statements, arnOf(stack.tables.named(table))), `${name} on ${table}`).toEqual(sorted([...expected]));
    }
  });

  it.each(functionEntries)('%s queries the indexes of the tables it reads, by name, and nothing more', (name, spec) => {
    const statements = statementsOf(name);
    for (const table of tableNames) {
      const reads = levelsOf(spec, table).some((level) => level === 'read' || level === 'readwrite');
      for (const index of (tables[table] as TableSpec).globalSecondaryIndexes ?? []) {
        const indexArn = { 'Fn::Join': ['', [arnOf(stack.tables.named(table)), `/index/${index.indexName}`]] };
        expect(actionsOn(statements, indexArn), `${name} on ${table}/${index.indexName}`).toEqual(
          reads ? ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'] : [],
        );
      }
    }
  });

  it('lets the publisher and the sweeper mark events published, and neither put nor delete one', () => {
    const eventsArn = arnOf(stack.tables.named('events'));
    expect(actionsOn(statementsOf('webhookPublisher'), eventsArn)).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOn(statementsOf('webhookSweeper'), eventsArn)).toEqual(
      sorted(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']),
    );
  });

  it('never lets a function scan a table', () => {
    for (const [name] of functionEntries) {
      expect(statementsOf(name).flatMap(actionsOf)).not.toContain('dynamodb:Scan');
    }
  });

  it('names a resource in every DynamoDB and SQS statement, except the ListStreams IAM only honours on *', () => {
    for (const [name] of functionEntries) {
      for (const statement of statementsOf(name)) {
        const dataActions = actionsOf(statement).filter((action) => /^(dynamodb|sqs):/.test(action) && action !== 'dynamodb:ListStreams');
        if (dataActions.length > 0) expect(resourcesOf(statement), `${name}: ${dataActions.join(', ')}`).not.toContain('*');
      }
    }
  });

  it('grants stream reads on the stream ARN to the stream consumer only', () => {
    const streamArn = { 'Fn::GetAtt': [logicalIdOf(stack.tables.named('events')), 'StreamArn'] };
    for (const [name, spec] of functionEntries) {
      const granted = actionsOn(statementsOf(name), streamArn);
      if (levelsOf(spec, 'events').includes('stream')) {
        expect(granted).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']);
      } else {
        expect(granted).toEqual([]);
      }
    }
  });

  it('lets senders send to the delivery queue and only the consumer receive from it', () => {
    const { queue, deadLetterQueue } = stack.queues.byName.webhookDeliveries;
    const send = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
    const receive = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage'];
    for (const [name, spec] of functionEntries) {
      const onQueue = actionsOn(statementsOf(name), arnOf(queue));
      const onDeadLetters = actionsOn(statementsOf(name), arnOf(deadLetterQueue));
      const access = spec.queues?.webhookDeliveries;
      // The consumer re-enqueues retries and parks undeliverable messages in the dead-letter queue.
      expect(onQueue, name).toEqual(access === undefined ? [] : sorted(access === 'consume' ? [...new Set([...send, ...receive])] : send));
      expect(onDeadLetters, name).toEqual(access === 'consume' ? send : []);
    }
  });

  it('lets only functions that call the processor invoke its IAM-authenticated URL', () => {
    const processorArn = arnOf(stack.functions.named('processor'));
    for (const [name, spec] of functionEntries) {
      const granted = actionsOn(statementsOf(name), processorArn);
      expect(granted, name).toEqual(spec.callsProcessor === true ? ['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl'] : []);
    }
    const invokeUrl = statementsOf('charges').find((statement) => actionsOf(statement).includes('lambda:InvokeFunctionUrl'));
    expect(invokeUrl?.Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
  });

  it('writes logs only to the function’s own log group, without the account-wide managed policy', () => {
    for (const [name] of functionEntries) {
      const logStatements = statementsOf(name).filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:')));
      expect(logStatements.map(resourcesOf)).toEqual([[arnOf(stack.functions.named(name).logGroup)]]);
    }
    const lambdaRoles = Object.values(
      template.findResources('AWS::IAM::Role', {
        Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } },
      }) as Record<string, { Properties: { ManagedPolicyArns?: unknown } }>,
    );
    expect(lambdaRoles).toHaveLength(functionEntries.length);
    for (const role of lambdaRoles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});
