#!/usr/bin/env node
/**
 * The CDK app: reads the configuration once (cdk.json context `bridge` + `deployment`, or `-c configFile=path.json`),
 * then builds one environment-agnostic stack, checked by cdk-nag's AWS Solutions rules (findings fail synthesis).
 * The stack name defaults to `DiscordPrThreads`; `-c stackName=...` deploys a second copy side by side.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/config';
import { loadAppConfig } from '../lib/config';
import { DiscordPrThreadsStack } from '../lib/stack';

const app = new App();
try {
  const config = loadAppConfig((key) => app.node.tryGetContext(key));
  const stackName = app.node.tryGetContext('stackName');
  new DiscordPrThreadsStack(app, 'DiscordPrThreads', {
    config,
    stackName: typeof stackName === 'string' && stackName !== '' ? stackName : undefined,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
