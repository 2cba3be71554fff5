import { App } from 'aws-cdk-lib';
import { FulfilmentStack } from '../lib/fulfilment-stack.js';

const app = new App();
new FulfilmentStack(app, 'RetrysafeFulfilmentExample');
app.synth();
