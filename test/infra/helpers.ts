/** Shared fixtures for the infrastructure tests: synthesis without bundling, and IAM policy lookups. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type AppConfig, type DeploymentConfig, loadAppConfig } from '../../lib/config';
import { DiscordPrThreadsStack } from '../../lib/stack';

export const ROOT = path.resolve(__dirname, '..', '..');

/** cdk.json's context, as the CLI would pass it. */
export const cdkContext: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'),
).context;

/** An app that skips esbuild bundling (only the bundling test bundles). */
export function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** A bare stack for construct-level tests. */
export function bareStack(): Stack {
  return new Stack(unbundledApp(), 'Test');
}

/** The example configuration from cdk.json, with deployment overrides. */
export function exampleConfig(deployment: Partial<DeploymentConfig> = {}): AppConfig {
  return loadAppConfig((key) =>
    key === 'deployment' ? { ...(cdkContext.deployment as object), ...deployment } : cdkContext[key],
  );
}

export interface Synthesized {
  readonly app: App;
  readonly stack: DiscordPrThreadsStack;
  readonly template: Template;
}

export function synthStack(deployment: Partial<DeploymentConfig> = {}): Synthesized {
  const app = unbundledApp();
  const stack = new DiscordPrThreadsStack(app, 'DiscordPrThreads', { config: exampleConfig(deployment) });
  return { app, stack, template: Template.fromStack(stack) };
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

export const actionsOf = (s: Statement): readonly string[] => (typeof s.Action === 'string' ? [s.Action] : s.Action);

/** Logical id of the function whose description contains `word`. */
export function functionId(template: Template, word: string): string {
  const ids = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, r]) =>
    String(r.Properties.Description ?? '').includes(word),
  );
  if (ids.length !== 1) throw new Error(`expected one function described with "${word}", found ${ids.length}`);
  return ids[0][0];
}

/** Every identity-policy statement attached to the execution role of the function with logical id `fnId`. */
export function roleStatements(template: Template, fnId: string): readonly Statement[] {
  const fn = template.toJSON().Resources[fnId];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** Environment variables of a function, by logical id. */
export function environmentOf(template: Template, fnId: string): Record<string, unknown> {
  return template.toJSON().Resources[fnId].Properties.Environment.Variables;
}

/** The single resource of a type (throws when there are more). */
export function onlyResource(template: Template, type: string): { id: string; properties: Record<string, unknown> } {
  const entries = Object.entries(template.findResources(type));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return { id: entries[0][0], properties: entries[0][1].Properties };
}
