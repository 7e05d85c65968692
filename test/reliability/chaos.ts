/**
 * The full reliability run (`npm run chaos`): 1,000 deliveries for 50 PRs through the at-least-once simulator
 * against a faulty Discord, the crash sweep on text and forum channels, and a 30-minute Discord outage.
 * Prints the figures and exits non-zero when one misses its goal.
 *
 *   tsx test/reliability/chaos.ts [--seed N] [--prs 50] [--deliveries 1000]
 *
 * Replay a failing run with its printed seed. The scenario, the duplicates and the simulator's decisions are
 * fully determined by the seed; which Discord request draws a fault follows the order requests reach the
 * emulator, which concurrent invocations can vary slightly from one run to the next.
 */
import { parseArgs } from 'node:util';
import { crashSweep, INVALID_BUDGET, runChaos, runOutage } from './harness';
import type { Verification } from './verify';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    prs: { type: 'string', default: '50' },
    deliveries: { type: 'string', default: '1000' },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const prs = Number(values.prs);
const deliveries = Number(values.deliveries);

const misses: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) misses.push(what);
};
const checkVerification = (name: string, v: Verification, prCount: number) => {
  check(v.liveThreads === prCount, `${name}: ${v.liveThreads} threads for ${prCount} PRs`);
  check(v.orphanStarters === 0, `${name}: ${v.orphanStarters} orphan starters`);
  check(v.missing === 0 && v.duplicated === 0 && v.unknown === 0, `${name}: messages not exactly once`);
  check(v.prsInOrder === prCount, `${name}: ${prCount - v.prsInOrder} PRs out of GitHub order`);
  check(v.prsFinalStateRight === prCount, `${name}: ${prCount - v.prsFinalStateRight} PRs with a wrong final state`);
  check(v.pings === 0, `${name}: ${v.pings} mass or role pings`);
};
const print = (title: string, lines: readonly string[], problems: readonly string[]) => {
  console.log(`\n== ${title}`);
  for (const line of lines) console.log(`   ${line}`);
  for (const p of problems.slice(0, 20)) console.log(`   ! ${p}`);
  if (problems.length > 20) console.log(`   ! ... ${problems.length - 20} more`);
};

async function main(): Promise<void> {
  console.log(`reliability (full): seed ${seed} (replay: tsx test/reliability/chaos.ts --seed ${seed})`);

  const chaos = await runChaos({ seed, prs, deliveries });
  print(
    'chaos: duplicates, 10 % 5xx (half after apply), 5 % 429, random latency',
    chaos.figures,
    chaos.verification.problems,
  );
  check(chaos.beforeRedrive.lost === 0, `chaos: ${chaos.beforeRedrive.lost} deliveries lost before the redrive`);
  check(chaos.lost === 0, `chaos: ${chaos.lost} deliveries lost after the redrive`);
  check(chaos.doneInStore === chaos.uniqueDeliveries, 'chaos: not every delivery marked done');
  check(
    chaos.requests.invalidMax10Min < INVALID_BUDGET,
    `chaos: ${chaos.requests.invalidMax10Min} invalid requests in 10 min`,
  );
  check(chaos.stats.fifoViolations === 0, 'chaos: FIFO violated');
  checkVerification('chaos', chaos.verification, prs);

  const sweep = await crashSweep(['text', 'forum']);
  print('crash at every step boundary, retried after the lease', sweep.figures, sweep.verification.problems);
  check(sweep.verification.problems.length === 0, 'crash sweep: problems');
  checkVerification('crash sweep', sweep.verification, sweep.verification.expectedThreads);

  const outage = await runOutage({ seed, prs: 10, deliveries: 100 });
  print('Discord down for 30 simulated minutes, then a redrive', outage.figures, outage.verification.problems);
  check(outage.okDuringOutage === 0, 'outage: Discord answered during the outage');
  check(outage.doneDuringOutage === 0, 'outage: an effect reported done while Discord was down');
  check(
    outage.deadLettered + outage.ignoredDuringOutage === outage.duringOutage,
    `outage: ${outage.deadLettered} dead-lettered + ${outage.ignoredDuringOutage} ignored of ${outage.duringOutage}`,
  );
  check(outage.deadLetteredAt5Receives === outage.deadLettered, 'outage: dead-lettered before/after 5 receives');
  check(outage.lost === 0, `outage: ${outage.lost} lost`);
  checkVerification('outage', outage.verification, 10);

  console.log(
    misses.length === 0 ? '\nall goals met' : `\nMISSED (seed ${seed}):\n${misses.map((m) => `  - ${m}`).join('\n')}`,
  );
  process.exitCode = misses.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
