/**
 * `npm run bench`: runs every benchmark, prints the tables and rewrites BENCHMARKS.md.
 * `npm run bench -- ingest cold discord local cost` runs a subset (BENCHMARKS.md is only rewritten for a full run).
 * Machines are shared and noisy: every figure is a ratio against a baseline measured in the same run.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { benchColdLoad } from './cold-load';
import { machine, type Section, table } from './common';
import { benchCost } from './cost';
import { benchDiscordRequests } from './discord-requests';
import { benchIngest } from './ingest';
import { benchLocal } from './local';

/** Diagnoses of known misses (from the module breakdown and the variants measured in the cold-load section). */
const WHY: Readonly<Record<string, string>> = {
  'Cold load ingest vs empty handler':
    'the AWS SDK v3 clients (@smithy/core, @aws-sdk/* ≈ 80 % of the 715 KB bundle) take ~100-150 ms to require; the empty handler is node boot only. ' +
    "Fixes, by expected gain: build with esbuild mainFields ['module','main'] so the SDK's ES builds are tree-shaken (measured above: ~1/3 less require time); " +
    'drop NODE_OPTIONS=--enable-source-maps or ship source maps without enabling them at run time (measured above); replace the SNS and Secrets Manager ' +
    'clients in ingest by two signed HTTPS calls (a ~5 KB SigV4 signer), which is the only way to approach 1.5× of a bare node boot.',
  'Cold load worker vs empty handler':
    'the bundle is 1.9 MB: zod 445 KB (the full classic API: use zod/mini or hand-written guards for the Discord responses), ' +
    "undici 410 KB (pulled in by @discordjs/rest's Node entry: pass Node's global fetch through its makeRequest option and resolve the package's web build), " +
    'the AWS SDK (DynamoDB, Secrets Manager, S3) ≈ 500 KB, discord-api-types 88 KB, @vladfrangu/async_event_emitter 81 KB; plus --enable-source-maps on a 6.6 MB map. ' +
    'In Lambda the baseline (runtime bootstrap) is heavier than a bare node boot, so the real ratio is lower than measured here, but 2× needs the bundle under ~300 KB.',
  local:
    'ingest in local mode is bound by durable writes, not CPU: each accepted delivery writes its body and record (history) and a queue file, each with fsync + a directory fsync, ' +
    'and queue.enqueue runs them one at a time (the admission chain in local/queue.ts holds the fsync), while the worker persists state changes to the same disk. ' +
    'At 100 deliveries/s the backlog grows and end-to-end latency with it. Fixes: take the sequence number inside the admission chain but write outside it, ' +
    'or group-commit (write every pending file, then one directory fsync for the batch); fold history body + record into one file.',
};

const ALL = ['ingest', 'cold', 'discord', 'local', 'cost'] as const;
type Name = (typeof ALL)[number];

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const asked = process.argv.slice(2).filter((a): a is Name => (ALL as readonly string[]).includes(a));
  const selected = new Set<Name>(asked.length > 0 ? asked : ALL);
  const full = selected.size === ALL.length;
  const sections: Section[] = [];
  const say = (s: Section) => {
    sections.push(s);
    process.stdout.write(`\n## ${s.title}\n\n${s.body}\n`);
  };
  const m = machine();
  process.stdout.write(`Machine: ${m.nproc} × ${m.cpu}, node ${m.node}, ${m.date}\n`);

  if (selected.has('ingest')) say(await benchIngest());
  let coldMs = { ingest: Number.NaN, worker: Number.NaN };
  if (selected.has('cold') || selected.has('cost')) {
    const cold = await benchColdLoad({ rounds: selected.has('cold') ? 15 : 3 });
    coldMs = cold.coldMs;
    if (selected.has('cold')) say(cold.section);
  }
  let counts: Awaited<ReturnType<typeof benchDiscordRequests>> | undefined;
  if (selected.has('discord') || selected.has('cost')) {
    counts = await benchDiscordRequests();
    if (selected.has('discord')) say(counts.section);
  }
  if (selected.has('local')) say(await benchLocal());
  if (selected.has('cost') && counts !== undefined) {
    say(
      benchCost({
        discordPerDelivery: counts.discordPerDelivery,
        dynamoPerDelivery: counts.dynamoPerDelivery,
        threadItemBytes: counts.threadItemBytes,
        coldMs,
      }),
    );
  }

  const headlines = sections.flatMap((s) => s.headline);
  const summary = table(
    ['figure', 'this run', 'goal', 'met'],
    headlines.map((h) => [h.figure, h.value, h.goal, h.met === null ? '—' : h.met ? 'yes' : '**no**']),
  );
  const misses = headlines
    .filter((h) => h.met === false)
    .flatMap((h) => (WHY[h.figure] ? [`- ${h.figure}: ${WHY[h.figure]}`] : []));
  const local = sections.some((s) => s.title.startsWith('Local mode')) ? [`- Local mode: ${WHY.local}`] : [];
  const notes = [...misses, ...local];
  process.stdout.write(`\n## Summary\n\n${summary}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`);
  if (!full) return;
  const doc = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (test/bench/run.ts); do not edit by hand. Machines are shared and noisy, so every figure',
    'is a ratio against a baseline measured in the same run, or a count.',
    '',
    `- Date: ${m.date}`,
    `- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}`,
    `- Node: ${m.node}`,
    '',
    '## Summary',
    '',
    summary,
    ...(notes.length > 0 ? ['', '### Why the misses', '', ...notes] : []),
    ...sections.flatMap((s) => ['', `## ${s.title}`, '', s.body]),
    '',
  ].join('\n');
  writeFileSync(path.resolve(__dirname, '..', '..', 'BENCHMARKS.md'), doc);
  process.stdout.write('\nBENCHMARKS.md rewritten.\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
