import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance.js';
import { addRetrysafeStacks } from '../lib/regional-stacks.js';

const app = new App();
addRetrysafeStacks(app);
addComplianceChecks(app);
