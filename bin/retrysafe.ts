import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance.js';
import { RetrysafeStack } from '../lib/retrysafe-stack.js';

const app = new App();
new RetrysafeStack(app, 'Retrysafe', {
  description: 'Retrysafe: a payments API where a retry can never charge a customer twice',
});
addComplianceChecks(app);
