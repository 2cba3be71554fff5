import { demoTenants } from './seed.js';
import { readSettings } from './settings.js';
import { PortInUseError, startLocalStack } from './stack.js';

/** `npm start`: the whole system on DynamoDB Local, until Ctrl-C. */
const main = async () => {
  const settings = readSettings(process.argv.slice(2));
  const stack = await startLocalStack(settings);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping the local stack...`);
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });

  console.log(`Retrysafe ready: ${stack.apiUrl}`);
  for (const tenant of demoTenants) console.log(`  ${tenant.accountId}: Authorization: Bearer ${tenant.apiKey}`);
  console.log(
    settings.dataDir === undefined
      ? '  data: in memory (--in-memory)'
      : `  data: ${settings.dataDir} (npm start -- --in-memory to discard)`,
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
