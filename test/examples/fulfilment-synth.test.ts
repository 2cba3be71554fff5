import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FulfilmentStack } from '../../examples/fulfilment/lib/fulfilment-stack.js';
import { fulfilmentTableEnvVar, fulfilmentTables } from '../../examples/fulfilment/tables.js';

const exampleRoot = resolve(import.meta.dirname, '../../examples/fulfilment');

/** Reading the template needs no bundles: skipping esbuild keeps the synth fast. */
const withoutBundling = { 'aws:cdk:bundling-stacks': [] };

const template = (): Template => Template.fromStack(new FulfilmentStack(new App({ context: withoutBundling }), 'Fulfilment'));

describe('the fulfilment example stack', () => {
  it('declares every table of tables.ts, with TTL on the idempotency tables', () => {
    const synthesized = template();
    synthesized.resourceCountIs('AWS::DynamoDB::Table', Object.keys(fulfilmentTables).length);
    for (const spec of Object.values(fulfilmentTables)) {
      synthesized.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: spec.partitionKey.name, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        ...('ttlAttribute' in spec ? { TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } } : {}),
      });
    }
    expect(Object.values(fulfilmentTables).filter((spec) => 'ttlAttribute' in spec)).toHaveLength(2);
  });

  it('routes webhooks to the receiver and notifications to the notifier', () => {
    const synthesized = template();
    synthesized.resourceCountIs('AWS::Lambda::Function', 2);
    synthesized.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/retrysafe' });
    synthesized.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /notifications' });
    synthesized.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Environment: {
        Variables: Match.objectLike({
          [fulfilmentTableEnvVar('webhookReceipts')]: Match.anyValue(),
          [fulfilmentTableEnvVar('fulfilments')]: Match.anyValue(),
          WEBHOOK_SECRETS: { Ref: 'WebhookSecrets' },
          NOTIFIER_URL: Match.anyValue(),
        }),
      },
    });
    synthesized.hasParameter('WebhookSecrets', { NoEcho: true });
  });

  it('synthesizes from its own app entry point, offline', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'fulfilment-synth-'));
    try {
      await promisify(execFile)('npx', ['tsx', join(exampleRoot, 'bin/app.ts')], {
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(withoutBundling) },
      });
      const written = await readFile(join(outdir, 'RetrysafeFulfilmentExample.template.json'), 'utf8');
      expect(Object.keys((JSON.parse(written) as { Resources: object }).Resources).length).toBeGreaterThan(0);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  it("stands apart from the main stack: nothing under examples/ imports the repository's lib/", async () => {
    const mainLib = resolve(exampleRoot, '../../lib');
    const sources = (await readdir(exampleRoot, { recursive: true })).filter((file) => file.endsWith('.ts'));
    const imported = await Promise.all(
      sources.map(async (file) =>
        [...(await readFile(join(exampleRoot, file), 'utf8')).matchAll(/from '(\.[^']+)'/g)].map((match) =>
          resolve(dirname(join(exampleRoot, file)), match[1] ?? ''),
        ),
      ),
    );
    expect(imported.flat().filter((path) => path.startsWith(`${mainLib}/`))).toEqual([]);
    expect(imported.flat()).toContain(resolve(exampleRoot, 'lib/fulfilment-stack.js'));
  });
});
