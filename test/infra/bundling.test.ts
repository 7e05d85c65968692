/**
 * THE BUNDLING TEST: the only infra test that runs esbuild (about 10-20 s). Every other test skips bundling
 * with the context `aws:cdk:bundling-stacks: []`.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DiscordPrThreadsStack } from '../../lib/stack';
import { exampleConfig } from './helpers';

test('BUNDLING: both functions bundle with the local esbuild into a CommonJS handler with a source map', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dpt-bundle-'));
  const app = new App({ outdir });
  const stack = new DiscordPrThreadsStack(app, 'DiscordPrThreads', { config: exampleConfig() });
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(2);
  for (const fn of functions) {
    expect(fn.Properties.Handler).toBe('index.handler');
    const assetDir = path.join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    const code = readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(/module\.exports\s*=/.test(code)).toBe(true);
    expect(/\bhandler:\s*\(\)\s*=>/.test(code)).toBe(true);
    // The AWS SDK is bundled (pinned by package-lock.json); only its optional CRT signer stays an optional require.
    expect(code.match(/require\("@aws-sdk\/(?!signature-v4-crt")[^"]*"\)/g)).toBeNull();
    expect(existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
  }
});
