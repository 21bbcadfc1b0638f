/** The CDK app: `npx cdk synth` / `npx cdk deploy`. Settings come from cdk.json context (or -c key=value). */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeyrotStack } from './keyrot-stack.js';

const app = new App();
const context = (key: string) => app.node.tryGetContext(key) as unknown;
const parse = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);

new KeyrotStack(app, (context('stackName') as string | undefined) ?? 'Keyrot', {
  description: 'keyrot: scheduled rotation and hygiene of API Gateway API keys',
  rotation: {
    config: parse(context('keyrot:config')),
    alarmEmail: context('keyrot:alarmEmail') as string | undefined,
    consumers: parse(context('keyrot:consumers')) as
      { credential: string; principalArn: string }[] | undefined,
    runbookBaseUrl: context('keyrot:runbookBaseUrl') as string | undefined,
    schedule: { timeZone: (context('keyrot:timeZone') as string | undefined) ?? 'Etc/UTC' },
  },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
