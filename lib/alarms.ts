import { Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { type AlarmDeclaration, alarmDeclarationsFor, type AlarmSources } from './alarm-declarations.js';
import type { HandlerSettings } from './config.js';

export interface OperationsAlarmsProps {
  readonly sources: AlarmSources;
  /** Where the topic e-mails alarms; none leaves the topic for other subscribers. */
  readonly email: string | undefined;
  /** The handler settings the context sets: an alarm on a setting's limit watches the deployed value. */
  readonly settings: HandlerSettings;
}

export interface DeclaredAlarm {
  readonly declaration: AlarmDeclaration;
  readonly alarm: Alarm;
}

/** Every declared alarm (lib/alarm-declarations.ts), each notifying one topic when it fires and when it clears. */
export class OperationsAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: readonly DeclaredAlarm[];

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'Retrysafe alarms', enforceSSL: true });
    Validations.of(this.topic.node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names, states and metric values, never customer data; CloudWatch cannot publish to a topic under the AWS-managed SNS key, so encryption would need a customer-managed KMS key for no confidentiality gained.',
    });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));

    const action = new SnsAction(this.topic);
    const stackName = Stack.of(this).stackName;
    const watched = alarmDeclarationsFor(props.settings).filter(
      (declaration) => declaration.function === undefined || props.sources.functions[declaration.function] !== undefined,
    );
    this.alarms = watched.map((declaration) => {
      const alarm = new Alarm(this, declaration.id, {
        alarmName: `${stackName}-${declaration.id}`,
        alarmDescription: `${declaration.watches}. Why this threshold: ${declaration.reason}.`,
        metric: declaration.metric(props.sources, { statistic: declaration.statistic, period: declaration.period }),
        threshold: declaration.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: declaration.evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return { declaration, alarm };
    });
  }
}
