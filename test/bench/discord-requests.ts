/**
 * Discord requests per event type on the happy path, counted from the emulator's request log through the worker rig
 * (real worker core, dynalite, real @discordjs/rest), in a text channel and in a forum channel, against the minimum
 * an implementation needs. A warm-up PR first fills the per-process channel cache, so the counts are those of a warm
 * worker; the one-off cost of a cold worker is listed separately. DynamoDB commands per delivery are counted too
 * (they feed the cost table).
 */
import { example, prPayload } from '../helpers/payloads';
import { startWorkerRig, type WorkerRig } from '../helpers/worker';
import { ratio, round, type Section, table } from './common';

interface Step {
  readonly name: string;
  readonly envelope: (rig: WorkerRig) => ReturnType<WorkerRig['envelope']>;
  /** Minimum requests per channel kind, and why. */
  readonly text: readonly [number, string];
  readonly forum: readonly [number, string];
}

const NOTE = 'one message';
const STEPS: readonly Step[] = [
  {
    name: 'pull_request.opened',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'opened'), 'opened'),
    text: [2, 'post the summary, start a public thread from it (the thread id = the message id, crash-safe)'],
    forum: [1, 'one forum post: thread + starter summary + tags in a single request'],
  },
  {
    name: 'pull_request.review_requested',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'review_requested'), 'rr'),
    text: [1, NOTE],
    forum: [1, NOTE],
  },
  {
    name: 'pull_request.edited (title)',
    envelope: (rig) => rig.fixture('pull_request.edited.title', 'edited'),
    text: [2, 'rename the thread + the "title changed" note'],
    forum: [2, 'rename the thread + the "title changed" note'],
  },
  {
    name: 'pull_request.synchronize',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'synchronize'), 'sync'),
    text: [1, NOTE],
    forum: [1, NOTE],
  },
  {
    name: 'issue_comment.created',
    envelope: (rig) => rig.fixture('issue_comment.created.pull_request', 'comment'),
    text: [1, 'the forwarded comment'],
    forum: [1, 'the forwarded comment'],
  },
  {
    name: 'pull_request_review_comment.created',
    envelope: (rig) => rig.fixture('pull_request_review_comment.created.inline', 'review-comment'),
    text: [1, 'the forwarded comment'],
    forum: [1, 'the forwarded comment'],
  },
  {
    name: 'pull_request_review_comment.created (reply)',
    envelope: (rig) => rig.fixture('pull_request_review_comment.created.reply', 'reply'),
    text: [1, 'a Discord reply to the forwarded parent'],
    forum: [1, 'a Discord reply to the forwarded parent'],
  },
  {
    name: 'pull_request_review.submitted (approved)',
    envelope: (rig) => rig.fixture('pull_request_review.submitted.approved', 'approved'),
    text: [1, NOTE],
    forum: [2, 'note + tags (Approved)'],
  },
  {
    name: 'pull_request.converted_to_draft',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'converted_to_draft'), 'draft'),
    text: [1, NOTE],
    forum: [2, 'note + tags (Draft)'],
  },
  {
    name: 'pull_request.ready_for_review',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'ready_for_review'), 'ready'),
    text: [1, NOTE],
    forum: [2, 'note + tags (Open)'],
  },
  {
    name: 'pull_request.closed (merged)',
    envelope: (rig) => rig.fixture('pull_request.closed.merged', 'merged'),
    text: [2, 'note, then archive + lock in one PATCH (a locked thread takes no new message from a later retry)'],
    forum: [2, 'note, then archive + lock + Merged tag in one PATCH'],
  },
  {
    name: 'pull_request.reopened',
    envelope: (rig) => rig.envelope('pull_request', example('pull_request', 'reopened'), 'reopened'),
    text: [2, 'unarchive + unlock in one PATCH, then the note'],
    forum: [2, 'unarchive + unlock + Open tag in one PATCH, then the note'],
  },
];

export interface RequestCounts {
  readonly section: Section;
  /** Mean DynamoDB commands per delivery (GetItem/PutItem/UpdateItem...), over both channel kinds. */
  readonly dynamoPerDelivery: Readonly<Record<string, number>>;
  /** Mean Discord requests per delivery on the happy path (text channel). */
  readonly discordPerDelivery: number;
  /** Largest thread-state item seen, bytes (write units scale with it). */
  readonly threadItemBytes: number;
}

async function measure(forum: boolean) {
  const rig = await startWorkerRig({ forum, config: { users: { octocat: '400000000000000002' } } });
  const dynamo = new Map<string, number>();
  let counting = false;
  rig.dynamo.doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (counting)
        dynamo.set(context.commandName ?? 'unknown', (dynamo.get(context.commandName ?? 'unknown') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  try {
    // Cold worker: the first delivery in a process also looks the channel up (and, in a forum, creates its tags).
    const warmup = prPayload({ number: 99, title: 'Warm-up PR' });
    await rig.process(rig.envelope('pull_request', warmup, `warmup-${forum}`));
    const cold = rig.takeRequests();
    counting = true;
    const rows: { step: Step; requests: string[] }[] = [];
    for (const step of STEPS) {
      const result = await rig.process(step.envelope(rig));
      if (result.status !== 'done') throw new Error(`${step.name}: ${result.status} ${result.reason ?? ''}`);
      rows.push({ step, requests: rig.takeRequests() });
    }
    counting = false;
    const item = await rig.dynamo.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: rig.dynamo.tables.threads }),
    );
    const itemBytes = Math.max(...(item.Items ?? []).map((i) => Buffer.byteLength(JSON.stringify(i))));
    return { cold, rows, dynamo, itemBytes };
  } finally {
    await rig.close();
  }
}

export async function benchDiscordRequests(): Promise<RequestCounts> {
  const text = await measure(false);
  const forum = await measure(true);
  const lines: (string | number)[][] = [];
  let worst = 0;
  let totalActual = 0;
  let totalMin = 0;
  for (const [kind, data] of [
    ['text', text],
    ['forum', forum],
  ] as const) {
    for (const { step, requests } of data.rows) {
      const [min, why] = kind === 'text' ? step.text : step.forum;
      const r = requests.length / min;
      worst = Math.max(worst, r);
      totalActual += requests.length;
      totalMin += min;
      lines.push([
        kind,
        step.name,
        requests.length,
        min,
        ratio(r),
        why,
        requests.map((q) => q.replace(/^(\w+) \/channels\/:id/, '$1 …')).join('; '),
      ]);
    }
  }
  const deliveries = text.rows.length + forum.rows.length;
  const dynamoPerDelivery: Record<string, number> = {};
  for (const source of [text.dynamo, forum.dynamo]) {
    for (const [k, v] of source) dynamoPerDelivery[k] = (dynamoPerDelivery[k] ?? 0) + v / deliveries;
  }
  const overall = totalActual / totalMin;
  return {
    discordPerDelivery: text.rows.reduce((n, r) => n + r.requests.length, 0) / text.rows.length,
    dynamoPerDelivery,
    threadItemBytes: Math.max(text.itemBytes, forum.itemBytes),
    section: {
      title: 'Discord requests per event type (happy path, warm worker)',
      body: [
        table(['channel', 'event', 'requests', 'minimum', 'ratio', 'why that minimum', 'requests seen'], lines),
        '',
        `All events: ${totalActual} requests for a minimum of ${totalMin} (**${ratio(overall)}**); worst single event ${ratio(worst)}. Goal 1.0×.`,
        `Cold worker, once per process: text channel ${text.cold.length} requests for the first PR (${text.cold.join('; ')}), ` +
          `forum ${forum.cold.length} (${forum.cold.join('; ')}). The channel lookup (GET /channels/:id) is cached per process; ` +
          'forum tags are created once per channel.',
        `DynamoDB commands per delivery (mean over ${deliveries}): ${Object.entries(dynamoPerDelivery)
          .map(([k, v]) => `${k.replace(/Command$/, '')} ${round(v, 2)}`)
          .join(', ')}; largest thread-state item ${Math.max(text.itemBytes, forum.itemBytes)} bytes.`,
      ].join('\n'),
      headline: [
        {
          figure: 'Discord requests vs minimum (all event types)',
          value: `${ratio(overall)} (worst ${ratio(worst)})`,
          goal: '1.0×',
          met: worst <= 1,
        },
      ],
    },
  };
}
