import { Stack } from 'aws-cdk-lib';
import { DomainName, EndpointType, type RestApi, SecurityPolicy } from 'aws-cdk-lib/aws-apigateway';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import {
  ARecord,
  Failover,
  HealthCheck,
  HealthCheckType,
  HostedZone,
  type IAliasRecordTarget,
  RecordTarget,
  type ARecordProps,
} from 'aws-cdk-lib/aws-route53';
import { ApiGatewayDomain } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { CustomDomain, RegionPlan } from './config.js';

/** ApiGatewayDomain with no way to ask Route 53 to weigh the health of what it points to. */
const evaluatingHealth = (target: IAliasRecordTarget): IAliasRecordTarget => ({
  bind: (record, zone) => ({ ...target.bind(record, zone), evaluateTargetHealth: true }),
});

export interface ApiDomainProps {
  readonly domain: CustomDomain;
  readonly regions: RegionPlan;
  readonly api: RestApi;
}

/**
 * The API under its own name. With several regions every stack serves the shared name, and
 * Route 53 answers with one region (the nearest, or the primary while it is healthy), plus a
 * name of its own, `<region>.<domain>`, that always reaches this region: what a failover health
 * check and an operator probing one region need.
 */
export class ApiDomain extends Construct {
  /** The name that reaches this region alone; the shared name when there is one region. */
  readonly regionalName: string;

  constructor(scope: Construct, id: string, props: ApiDomainProps) {
    super(scope, id);
    const { domain, regions, api } = props;
    const region = Stack.of(this).region;
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: domain.hostedZoneId, zoneName: domain.hostedZoneName });
    this.regionalName = regions.kind === 'single' ? domain.name : `${region}.${domain.name}`;
    const certificate = new Certificate(this, 'Certificate', {
      domainName: domain.name,
      subjectAlternativeNames: regions.kind === 'single' ? undefined : [this.regionalName],
      validation: CertificateValidation.fromDns(zone),
    });
    const serve = (domainId: string, name: string): DomainName =>
      new DomainName(this, domainId, {
        domainName: name,
        certificate,
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
        mapping: api,
      });

    const shared = serve('SharedName', domain.name);
    const sharedRecord = { zone, recordName: domain.name, target: RecordTarget.fromAlias(new ApiGatewayDomain(shared)) };
    if (regions.kind === 'single') {
      new ARecord(this, 'SharedRecord', sharedRecord);
      return;
    }
    const regional = serve('RegionalName', this.regionalName);
    new ARecord(this, 'RegionalRecord', {
      zone,
      recordName: this.regionalName,
      target: RecordTarget.fromAlias(new ApiGatewayDomain(regional)),
    });
    const routing = this.routingOf(domain, regions, region);
    if (routing === undefined) return;
    new ARecord(this, 'SharedRecord', {
      ...sharedRecord,
      ...routing,
      // Route 53 requires it of failover aliases: an unhealthy primary then yields to the secondary.
      ...(routing.failover === undefined ? {} : { target: RecordTarget.fromAlias(evaluatingHealth(new ApiGatewayDomain(shared))) }),
    });
  }

  /** How this region's answer for the shared name is chosen; undefined when it is never chosen (failover's third region). */
  private routingOf(
    domain: CustomDomain,
    regions: Extract<RegionPlan, { kind: 'multi' }>,
    region: string,
  ): Pick<ARecordProps, 'region' | 'failover' | 'healthCheck' | 'setIdentifier'> | undefined {
    switch (domain.routing) {
      case 'latency':
        return { region, setIdentifier: region };
      case 'failover': {
        const role = [Failover.PRIMARY, Failover.SECONDARY][(regions.regions as readonly string[]).indexOf(region)];
        if (role === undefined) return undefined;
        // Probes this region's own name, so the check follows this region's health, not Route 53's answer.
        const healthCheck = new HealthCheck(this, 'HealthCheck', {
          type: HealthCheckType.HTTPS,
          fqdn: this.regionalName,
          port: 443,
          resourcePath: '/health',
          enableSNI: true,
        });
        return { failover: role, healthCheck, setIdentifier: region };
      }
    }
  }
}
