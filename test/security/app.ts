/** The deployable app, synthesized as the CLI would (cdk.json's context) but without bundling. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadAppConfig } from '../../lib/config';
import { DiscordPrThreadsStack } from '../../lib/stack';

const ROOT = path.resolve(__dirname, '..', '..');
const cdkContext: Record<string, unknown> = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

export interface SynthesizedApp {
  readonly app: App;
  readonly stack: DiscordPrThreadsStack;
}

/** `new App({ context: { 'aws:cdk:bundling-stacks': [] } })` + the stack from `lib/stack.ts`, configured from cdk.json. */
export function synthesizeApp(): SynthesizedApp {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = loadAppConfig((key) => cdkContext[key]);
  const stack = new DiscordPrThreadsStack(app, 'DiscordPrThreads', { config });
  return { app, stack };
}
