import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cdkContext, ROOT } from './helpers';

/** Runs bin/app.ts the way the CDK CLI does: context in CDK_CONTEXT_JSON, assembly into CDK_OUTDIR. */
function runApp(context: Record<string, unknown>, outdir?: string) {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
      ...(outdir === undefined ? {} : { CDK_OUTDIR: outdir }),
    },
  });
  return { status: result.status, stderr: result.stderr.trim() };
}

test('an invalid config stops the app with one sentence naming the field', () => {
  const { status, stderr } = runApp({ ...cdkContext, deployment: { workerMaxConcurrency: 1 } });
  expect(status).toBe(1);
  expect(stderr).toBe('Invalid configuration: deployment.workerMaxConcurrency must be at least 2.');
});

test('the app synthesizes under the stackName from context, with no AWS account or region', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dpt-app-'));
  const { status, stderr } = runApp({ ...cdkContext, stackName: 'DiscordPrThreads-staging' }, outdir);
  expect([status, stderr]).toEqual([0, '']);
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const stack = manifest.artifacts.DiscordPrThreads;
  expect(stack.properties.stackName).toBe('DiscordPrThreads-staging');
  expect(stack.environment).toBe('aws://unknown-account/unknown-region');
});
