import { describe, expect, it } from 'vitest';
import {
  functions,
  tableDeployed,
  tableEnvVar,
  tables,
  type FunctionName,
  type FunctionSpec,
  type RetrysafeTableSpec,
  type TableName,
} from '../../lambdas/topology.js';
import { ConfigError } from '../../lib/config.js';
import { globalTableName } from '../../lib/data-tables.js';
import { environmentOf, logicalIdOf, statementsOfRole, synthesize, synthesizeApp, type SynthesizedStack } from './synthesize.js';

const regions = ['us-east-1', 'us-east-2', 'us-west-2'] as const;
const threeRegions = { 'retrysafe:regions': regions.join(',') };

const multiRegionTables = (Object.entries(tables) as [TableName, RetrysafeTableSpec][]).filter(([, spec]) =>
  tableDeployed(spec, { processor: 'sandbox', multiRegion: true }),
);
const tablesKept = (replication: RetrysafeTableSpec['replication']) =>
  multiRegionTables.filter(([, spec]) => spec.replication === replication);
const globalTables = multiRegionTables.filter(([, spec]) => spec.replication !== 'regional');

interface GlobalTableResource {
  readonly Properties: {
    readonly TableName: string;
    readonly Replicas: readonly { readonly Region: string }[];
    readonly MultiRegionConsistency?: string;
    readonly GlobalTableWitnesses?: readonly { readonly Region: string }[];
    readonly TimeToLiveSpecification?: unknown;
    readonly StreamSpecification?: { readonly StreamViewType: string };
  };
}

const globalTableResources = ({ template }: SynthesizedStack): GlobalTableResource[] =>
  Object.values(template.findResources('AWS::DynamoDB::GlobalTable') as Record<string, GlobalTableResource>);

const globalTable = (stack: SynthesizedStack, name: TableName): GlobalTableResource['Properties'] => {
  const found = globalTableResources(stack).find((resource) => resource.Properties.TableName === globalTableName(name));
  if (found === undefined) throw new Error(`No global table for ${name}`);
  return found.Properties;
};

const replicaRegions = (table: GlobalTableResource['Properties']): string[] => table.Replicas.map((replica) => replica.Region).sort();

const functionNamed = (stack: SynthesizedStack, name: FunctionName) => stack.stack.functions.named(name);

describe('three regions', () => {
  const stacks = synthesizeApp(threeRegions);
  const [home, ...others] = stacks;
  if (home === undefined) throw new Error('no stacks');

  it('deploys one stack per region, each in its region, the others after the first', () => {
    expect(stacks.map(({ stack }) => [stack.stackName, stack.region])).toEqual(regions.map((region) => [`Retrysafe-${region}`, region]));
    for (const { stack } of others) expect(stack.dependencies).toEqual([home.stack]);
  });

  it('creates every replicated table as a global table in the first region only', () => {
    expect(
      globalTableResources(home)
        .map((resource) => resource.Properties.TableName)
        .sort(),
    ).toEqual(globalTables.map(([name]) => globalTableName(name)).sort());
    for (const stack of others) expect(globalTableResources(stack)).toEqual([]);
  });

  it.each(tablesKept('strong'))('%s is strongly consistent in all three regions, with no TTL', (name) => {
    const table = globalTable(home, name);
    expect(table.MultiRegionConsistency).toBe('STRONG');
    expect(replicaRegions(table)).toEqual([...regions].sort());
    expect(table.TimeToLiveSpecification).toBeUndefined();
    expect(table.GlobalTableWitnesses).toBeUndefined();
  });

  it.each(tablesKept('eventual'))(
    '%s is eventually consistent in all three regions, with the TTL and stream of the topology',
    (name, spec) => {
      const table = globalTable(home, name);
      expect(table.MultiRegionConsistency).not.toBe('STRONG');
      expect(replicaRegions(table)).toEqual([...regions].sort());
      expect(table.TimeToLiveSpecification).toEqual(
        spec.ttlAttribute === undefined ? undefined : { AttributeName: spec.ttlAttribute, Enabled: true },
      );
      if (spec.stream !== undefined) expect(table.StreamSpecification).toEqual({ StreamViewType: spec.stream });
    },
  );

  it('gives every region a table of its own for each regional table', () => {
    for (const stack of stacks) {
      stack.template.resourceCountIs('AWS::DynamoDB::Table', tablesKept('regional').length);
      for (const [name] of tablesKept('regional')) expect(() => logicalIdOf(stack.stack.tables.named(name))).not.toThrow();
    }
  });

  it('tells every function that lists keyOwners its name, in every region', () => {
    const owners = (Object.entries(functions) as [FunctionName, FunctionSpec][]).filter(([, spec]) => 'keyOwners' in spec.tables);
    expect(owners.map(([name]) => name)).toContain('charges');
    for (const stack of stacks) {
      for (const [name] of owners) expect(environmentOf(stack, name)).toHaveProperty(tableEnvVar('keyOwners'));
    }
    for (const stack of others) expect(environmentOf(stack, 'charges')[tableEnvVar('keyOwners')]).toBe(globalTableName('keyOwners'));
  });

  it("grants keyOwners on the replica in the function's own region, and no other", () => {
    for (const stack of others) {
      const statements = statementsOfRole(stack.template, functionNamed(stack, 'charges').role as never);
      const onKeyOwners = statements.filter((statement) =>
        JSON.stringify(statement.Resource).includes(`table/${globalTableName('keyOwners')}`),
      );
      expect(onKeyOwners.length).toBeGreaterThan(0);
      for (const statement of onKeyOwners) {
        const resource = JSON.stringify(statement.Resource);
        expect(resource).toContain(`:dynamodb:${stack.stack.region}:`);
        for (const region of regions.filter((other) => other !== stack.stack.region)) expect(resource).not.toContain(region);
      }
    }
  });

  it("feeds each region's publisher from its own replica's stream, looked up at deployment", () => {
    for (const stack of others) {
      const lookups = Object.entries(
        stack.template.findResources('Custom::AWS') as Record<string, { Properties: { Create: string } }>,
      ).filter(([, resource]) => {
        const call = JSON.parse(resource.Properties.Create) as { action: string; parameters: { TableName: string } };
        return call.action === 'DescribeTable' && call.parameters.TableName === globalTableName('events');
      });
      expect(lookups).toHaveLength(1);
      const [lookupId] = lookups[0] ?? [];
      stack.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [lookupId, 'Table.LatestStreamArn'] },
        FunctionName: { Ref: logicalIdOf(functionNamed(stack, 'webhookPublisher')) },
      });
    }
  });
});

describe('two regions and a witness', () => {
  const [home] = synthesizeApp({ 'retrysafe:regions': 'us-east-1,us-east-2', 'retrysafe:witnessRegion': 'us-west-2' });
  if (home === undefined) throw new Error('no stacks');

  it.each(tablesKept('strong'))('%s has replicas in the two regions and its witness in the third', (name) => {
    const table = globalTable(home, name);
    expect(replicaRegions(table)).toEqual(['us-east-1', 'us-east-2']);
    expect(table.GlobalTableWitnesses).toEqual([{ Region: 'us-west-2' }]);
  });

  it.each(tablesKept('eventual'))('%s has replicas in the two regions only, and no witness', (name) => {
    const table = globalTable(home, name);
    expect(replicaRegions(table)).toEqual(['us-east-1', 'us-east-2']);
    expect(table.GlobalTableWitnesses).toBeUndefined();
  });
});

describe('one region', () => {
  const single = synthesize();
  const singleTables = (Object.entries(tables) as [TableName, RetrysafeTableSpec][]).filter(([, spec]) =>
    tableDeployed(spec, { processor: 'sandbox', multiRegion: false }),
  );

  it('keeps the one Retrysafe stack, with plain tables and no keyOwners', () => {
    expect(synthesizeApp().map(({ stack }) => stack.stackName)).toEqual(['Retrysafe']);
    single.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    single.template.resourceCountIs('AWS::DynamoDB::Table', singleTables.length);
    expect(singleTables.map(([name]) => name)).not.toContain('keyOwners');
    expect(single.stack.tables.byName.keyOwners).toBeUndefined();
  });

  it('gives no function the keyOwners table, so ownership stays off', () => {
    expect(environmentOf(single, 'charges')).not.toHaveProperty(tableEnvVar('keyOwners'));
    const statements = statementsOfRole(single.template, functionNamed(single, 'charges').role as never);
    expect(JSON.stringify(statements)).not.toMatch(/key-?owners/i);
  });
});

describe('region validation', () => {
  it.each([
    ['two regions without a witness', { 'retrysafe:regions': 'us-east-1,us-east-2' }, /exactly three, or two and retrysafe:witnessRegion/],
    ['four regions', { 'retrysafe:regions': 'eu-west-1,eu-west-2,eu-west-3,eu-central-1' }, /names 4 regions/],
    ['one region', { 'retrysafe:regions': 'us-east-1' }, /names one region/],
    ['mixed region sets', { 'retrysafe:regions': 'us-east-1,eu-west-1,ap-northeast-1' }, /mix the MRSC region sets US and EU and AP/],
    [
      'a witness from another set',
      { 'retrysafe:regions': 'us-east-1,us-east-2', 'retrysafe:witnessRegion': 'eu-west-1' },
      /mix the MRSC region sets/,
    ],
    ['duplicates', { 'retrysafe:regions': 'us-east-1,us-east-1,us-west-2' }, /names us-east-1 twice/],
    [
      'a region in no set',
      { 'retrysafe:regions': 'us-east-1,us-east-2,sa-east-1' },
      /sa-east-1, which is in no MRSC region set.*US \(us-east-1/,
    ],
    ['a witness among the replicas', { 'retrysafe:regions': 'us-east-1,us-east-2', 'retrysafe:witnessRegion': 'us-east-2' }, /is one of/],
    [
      'a witness with three replicas',
      { ...threeRegions, 'retrysafe:witnessRegion': 'us-east-1' },
      /is one of|three replicas take no witness/,
    ],
    ['a witness with one region', { 'retrysafe:regions': 'us-east-1', 'retrysafe:witnessRegion': 'us-west-2' }, /names one region/],
    ['a witness without regions', { 'retrysafe:witnessRegion': 'us-west-2' }, /retrysafe:witnessRegion is only for/],
    ['a malformed region', { 'retrysafe:regions': 'us-east-1,virginia,us-west-2' }, /comma-separated list of AWS region names/],
  ])('refuses %s', (_, context, message) => {
    const attempt = () => synthesizeApp(context);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('refuses a witness alongside three replicas even when it is in their set but not among them', () => {
    expect(() =>
      synthesizeApp({ 'retrysafe:regions': 'eu-west-1,eu-west-2,eu-west-3', 'retrysafe:witnessRegion': 'eu-central-1' }),
    ).toThrow(/three replicas take no witness/);
  });
});

describe('routing under a custom domain', () => {
  const domain = {
    'retrysafe:domain': 'api.example.com',
    'retrysafe:hostedZoneId': 'Z0123456789ABC',
    'retrysafe:hostedZoneName': 'example.com',
  };

  interface RecordSet {
    readonly Properties: {
      readonly Name: string;
      readonly Region?: string;
      readonly Failover?: string;
      readonly SetIdentifier?: string;
      readonly HealthCheckId?: unknown;
    };
  }

  const recordsOf = ({ template }: SynthesizedStack): RecordSet['Properties'][] =>
    Object.values(template.findResources('AWS::Route53::RecordSet', { Properties: { Type: 'A' } }) as Record<string, RecordSet>).map(
      (record) => record.Properties,
    );

  const sharedRecordOf = (stack: SynthesizedStack) => recordsOf(stack).filter((record) => record.Name === 'api.example.com.');

  it('routes the shared name to the nearest region, and gives each region a name of its own', () => {
    const stacks = synthesizeApp({ ...threeRegions, ...domain });
    for (const stack of stacks) {
      const region = stack.stack.region;
      expect(sharedRecordOf(stack)).toEqual([expect.objectContaining({ Region: region, SetIdentifier: region })]);
      expect(recordsOf(stack).map((record) => record.Name)).toContain(`${region}.api.example.com.`);
      stack.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: 'api.example.com',
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
      stack.template.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: `${region}.api.example.com` });
      stack.template.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'api.example.com',
        SubjectAlternativeNames: [`${region}.api.example.com`],
        ValidationMethod: 'DNS',
      });
      stack.template.resourceCountIs('AWS::Route53::HealthCheck', 0);
    }
  });

  it("fails over from the first region to the second on the first region's health check", () => {
    const [primary, secondary, third] = synthesizeApp({ ...threeRegions, ...domain, 'retrysafe:routing': 'failover' });
    if (primary === undefined || secondary === undefined || third === undefined) throw new Error('three stacks expected');
    expect(sharedRecordOf(primary).map((record) => [record.Failover, record.HealthCheckId !== undefined])).toEqual([['PRIMARY', true]]);
    expect(sharedRecordOf(secondary)).toEqual([expect.objectContaining({ Failover: 'SECONDARY' })]);
    expect(sharedRecordOf(third)).toEqual([]);
    primary.template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: 'us-east-1.api.example.com', ResourcePath: '/health', Port: 443 },
    });
  });

  it('gives one region a plain alias record for the domain', () => {
    const [single] = synthesizeApp(domain);
    if (single === undefined) throw new Error('one stack expected');
    expect(sharedRecordOf(single).map((record) => [record.Region, record.Failover, record.SetIdentifier])).toEqual([
      [undefined, undefined, undefined],
    ]);
    expect(recordsOf(single)).toHaveLength(1);
  });

  it.each([
    ['a domain without its hosted zone', { 'retrysafe:domain': 'api.example.com' }, /retrysafe:hostedZoneId must name/],
    ['a domain outside its zone', { ...domain, 'retrysafe:hostedZoneName': 'example.org' }, /not in the hosted zone example.org/],
    ['failover with one region', { ...domain, 'retrysafe:routing': 'failover' }, /failover needs a second region/],
    ['a hosted zone without a domain', { 'retrysafe:hostedZoneId': 'Z0123456789ABC' }, /retrysafe:hostedZoneId is only for/],
  ])('refuses %s', (_, context, message) => {
    expect(() => synthesizeApp(context)).toThrow(message);
  });
});
