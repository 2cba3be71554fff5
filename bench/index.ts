/**
 * `npm run bench` (issue 7): the idempotency, rate-limit and charge-path benchmarks on ONE
 * DynamoDB Local in one run, then one table of DynamoDB round trips and capacity per request
 * next to @aws-lambda-powertools/idempotency and rate-limiter-flexible, as ratios. Writes
 * bench/results/summary.json and bench/results/summary.md (the table the README quotes).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// Imported after the environment is set: handler modules read it when they load.
const { dynamoDbTarget } = await import('./support/dynamodb.js');
const { machineInfo } = await import('./support/machine.js');
const { resultsFile, writeJsonFile, writeTextFile } = await import('./support/results.js');
const { buildSummary, summaryMarkdown, summaryReadmeBlock, summaryText } = await import('./support/summary.js');
const { readmePath, replaceGenerated } = await import('../scripts/readme-tables.js');
const { readFileSync, writeFileSync } = await import('node:fs');
const { runIdempotencyBenchmark } = await import('./idempotency.js');
const { runRateLimitBenchmark } = await import('./ratelimit.js');
const { runChargePathBenchmark } = await import('./charge-path.js');

const started = Date.now();
const target = await dynamoDbTarget(undefined);
const shared = { dynamodbEndpoint: target.endpoint };
try {
  console.log(`All benchmarks on one DynamoDB Local at ${target.endpoint}\n`);
  const idempotency = await runIdempotencyBenchmark(shared);
  console.log('');
  const rateLimit = await runRateLimitBenchmark(shared);
  console.log('');
  const chargePath = await runChargePathBenchmark(shared);

  const summary = buildSummary({ idempotency, rateLimit, chargePath, command: 'npm run bench', machine: machineInfo() });
  const jsonPath = resultsFile('summary.json');
  const markdownPath = resultsFile('summary.md');
  writeJsonFile(jsonPath, summary);
  writeTextFile(markdownPath, summaryMarkdown(summary));
  // The README quotes this run's table as printed, row for row.
  writeFileSync(readmePath, replaceGenerated(readFileSync(readmePath, 'utf8'), 'benchmarks', 'npm run bench', summaryReadmeBlock(summary)));
  for (const line of [
    '',
    ...summaryText(summary),
    '',
    `Written to ${jsonPath}, ${markdownPath} and README.md (${Math.round((Date.now() - started) / 1000)} s in all)`,
  ]) {
    console.log(line);
  }
} finally {
  await target.release();
}
