import { demoTenants } from './seed.js';
import { readSettings } from './settings.js';
import { PortInUseError, startLocalStack } from './stack.js';

/** How often the stack checks that whoever started it is still there. */
const parentCheckMs = 1_000;

/**
 * `npm start`: the whole system on DynamoDB Local, until Ctrl-C, SIGTERM or SIGHUP (a closed
 * terminal), or until the process that started it dies, however it died: a SIGKILLed npm
 * cannot pass anything on, and its orphans would keep DynamoDB Local and the ports.
 * package.json starts this file with `exec`, so npm's signals reach it with no shell or tsx
 * wrapper in between to swallow them.
 */
const main = async () => {
  const settings = readSettings(process.argv.slice(2));
  const parent = process.ppid;
  const stack = await startLocalStack(settings);

  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}, stopping the local stack...`);
    void stack.stop().then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      shutdown(`${signal} received`);
    });
  }
  setInterval(() => {
    if (process.ppid !== parent) shutdown(`The process that started the stack (${parent}) exited`);
  }, parentCheckMs).unref();

  console.log(`Retrysafe ready: ${stack.apiUrl}`);
  for (const tenant of demoTenants) console.log(`  ${tenant.accountId}: Authorization: Bearer ${tenant.apiKey}`);
  console.log(
    settings.dataDir === undefined
      ? '  data: in memory (--in-memory)'
      : `  data: ${settings.dataDir} (npm start -- --in-memory to discard)`,
  );
  console.log(
    `  note: DynamoDB Local (port ${settings.dynamodbPort}) listens on every interface, as its jar cannot bind one; the API, SQS and the processor listen on 127.0.0.1 only`,
  );
};

main().catch((error: unknown) => {
  if (error instanceof PortInUseError) {
    console.error(error.message);
  } else {
    console.error(`Retrysafe could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
