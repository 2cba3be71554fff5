import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/**
 * cdk-nag's AWS Solutions and Serverless packs as synth-time validation plugins: any finding
 * not acknowledged (with a reason) on the construct it concerns fails `cdk synth`. The
 * acknowledgements are copied into the template metadata as an audit trail.
 */
export const addComplianceChecks = (app: App): void => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }), new ServerlessChecks(app));
};
