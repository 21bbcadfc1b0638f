/** The CDK app: `npx cdk synth` / `npx cdk deploy`. Settings come from cdk.json context (or -c key=value). */
import { createApp } from './keyrot-app.js';

createApp().app.synth();
