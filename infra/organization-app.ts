/**
 * The organization app: `npm run synth:organization` (or `npx cdk deploy --app 'npx tsx infra/organization-app.ts' --all`).
 * Edit infra/organization/example-config.ts (typed: OrganizationConfig); docs/organization.md says what to bootstrap first.
 */
import { EXAMPLE_ORGANIZATION } from './organization/example-config.js';
import { createOrganizationApp } from './organization/organization-app.js';

createOrganizationApp(EXAMPLE_ORGANIZATION).app.synth();
