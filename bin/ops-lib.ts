/**
 * Shared helpers of the operations commands (`npm run redrive`, `npm run replay -- --from-aws`):
 * argument parsing, finding the deployed stack's outputs, and the DLQ redrive itself.
 * AWS clients, the clock and the output are injected so tests drive everything with aws-sdk-client-mock.
 */
import { execFile } from 'node:child_process';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';

/** Output keys of the deployed stack the commands read (`lib/stack.ts` defines them). */
export const STACK_OUTPUT = {
  queueUrl: 'QueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  topicArn: 'TopicArn',
} as const;

/** A refusal or failure with a message meant for the operator (printed without a stack trace). */
export class OpsError extends Error {
  override readonly name = 'OpsError';
}

export type Sleep = (ms: number) => Promise<void>;
export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `--name value` and `--flag` arguments; unknown names are refused by the caller through `allowed`. */
export function parseArgs(
  argv: readonly string[],
  allowed: { readonly values: readonly string[]; readonly flags?: readonly string[] },
): { readonly values: Readonly<Record<string, string>>; readonly flags: ReadonlySet<string> } {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && allowed.flags?.includes(name)) {
      flags.add(name);
      continue;
    }
    if (name === undefined || !allowed.values.includes(name)) {
      const known = [...allowed.values, ...(allowed.flags ?? [])].map((n) => `--${n}`).join(', ');
      throw new OpsError(`Unknown argument ${arg}; expected ${known}.`);
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new OpsError(`--${name} needs a value.`);
    values[name] = value;
    i++;
  }
  return { values, flags };
}

/** Reads a stack's outputs (key → value). */
export type StackOutputsReader = (stackName: string, region?: string) => Promise<Readonly<Record<string, string>>>;

/**
 * Default {@link StackOutputsReader}: the AWS CLI (`aws cloudformation describe-stacks`), so the project
 * needs no CloudFormation SDK client. Pass `--queue-url`/`--dlq-url` instead where the CLI is not installed.
 */
export const awsCliStackOutputs: StackOutputsReader = (stackName, region) =>
  new Promise((resolve, reject) => {
    const args = ['cloudformation', 'describe-stacks', '--stack-name', stackName, '--output', 'json'];
    if (region !== undefined) args.push('--region', region);
    execFile('aws', args, { maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const hint = 'code' in err && err.code === 'ENOENT' ? 'the AWS CLI is not installed' : stderr.trim();
        reject(new OpsError(`Could not read the outputs of stack ${stackName}: ${hint}. Pass the URLs instead.`));
        return;
      }
      resolve(parseDescribeStacks(stdout));
    });
  });

/** `describe-stacks` JSON → output key → value. */
export function parseDescribeStacks(json: string): Readonly<Record<string, string>> {
  const parsed: unknown = JSON.parse(json);
  const outputs: Record<string, string> = {};
  if (typeof parsed !== 'object' || parsed === null || !('Stacks' in parsed) || !Array.isArray(parsed.Stacks)) {
    return outputs;
  }
  const stack: unknown = parsed.Stacks[0];
  if (typeof stack !== 'object' || stack === null || !('Outputs' in stack) || !Array.isArray(stack.Outputs)) {
    return outputs;
  }
  for (const output of stack.Outputs as unknown[]) {
    if (typeof output !== 'object' || output === null) continue;
    const key = 'OutputKey' in output ? output.OutputKey : undefined;
    const value = 'OutputValue' in output ? output.OutputValue : undefined;
    if (typeof key === 'string' && typeof value === 'string') outputs[key] = value;
  }
  return outputs;
}

/** One stack output, or a clear refusal naming it. */
export function requireOutput(outputs: Readonly<Record<string, string>>, key: string, stackName: string): string {
  const value = outputs[key];
  if (value === undefined || value.length === 0) {
    throw new OpsError(`Stack ${stackName} has no output ${key}: is it a discord-pr-threads stack, deployed?`);
  }
  return value;
}

// ---------------------------------------------------------------- redrive

export interface RedriveOptions {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Between progress checks. @default 2000 */
  readonly pollMs?: number;
  /** Progress checks before giving up watching (the move goes on in AWS). @default 1800 */
  readonly maxPolls?: number;
}

export interface RedriveDeps {
  readonly sqs: SQSClient;
  readonly sleep: Sleep;
  /** One line of progress for the operator. */
  readonly print: (line: string) => void;
}

export interface RedriveResult {
  readonly taskHandle: string;
  readonly status: 'COMPLETED';
  readonly moved: number;
}

async function queueAttributes(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ readonly arn: string; readonly messages: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
  );
  const arn = out.Attributes?.QueueArn;
  if (arn === undefined) throw new OpsError(`SQS returned no ARN for ${queueUrl}.`);
  return { arn, messages: Number(out.Attributes?.ApproximateNumberOfMessages ?? '0') };
}

function progress(task: ListMessageMoveTasksResultEntry): string {
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const total = task.ApproximateNumberOfMessagesToMove;
  return total === undefined ? `${moved} moved` : `${moved}/${total} moved`;
}

/**
 * Moves every message of the dead-letter queue back to the source queue (SQS `StartMessageMoveTask`,
 * FIFO supported: each group keeps its order) and watches the task until it ends. Refuses when the DLQ
 * is empty or a move from it is already running; throws {@link OpsError} when the task fails or is cancelled.
 */
export async function redrive(options: RedriveOptions, deps: RedriveDeps): Promise<RedriveResult> {
  const { sqs, print } = deps;
  const pollMs = options.pollMs ?? 2000;
  const maxPolls = options.maxPolls ?? 1800;
  const dlq = await queueAttributes(sqs, options.deadLetterQueueUrl);
  const source = await queueAttributes(sqs, options.queueUrl);

  const before = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
  const running = before.Results?.find((t) => t.Status === 'RUNNING');
  if (running !== undefined) {
    throw new OpsError(
      `A move from the dead-letter queue is already running (${progress(running)}); wait for it, or cancel it with ` +
        `\`aws sqs cancel-message-move-task --task-handle ${running.TaskHandle ?? '<handle>'}\`.`,
    );
  }
  if (dlq.messages === 0) {
    throw new OpsError('The dead-letter queue is empty: nothing to redrive.');
  }

  print(`Moving about ${dlq.messages} message(s) from ${dlq.arn} back to ${source.arn}…`);
  const started = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: source.arn }));
  const taskHandle = started.TaskHandle;
  if (taskHandle === undefined) throw new OpsError('SQS started the move but returned no task handle.');

  let last = '';
  for (let poll = 0; poll < maxPolls; poll++) {
    await deps.sleep(pollMs);
    const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
    // The handle is listed only while the task runs; once it ended, the newest task (first) is ours.
    const task = out.Results?.find((t) => t.TaskHandle === taskHandle) ?? out.Results?.[0];
    if (task === undefined) continue;
    const line = `${task.Status ?? 'UNKNOWN'}: ${progress(task)}`;
    if (line !== last) print(line);
    last = line;
    switch (task.Status) {
      case 'COMPLETED':
        return { taskHandle, status: 'COMPLETED', moved: task.ApproximateNumberOfMessagesMoved ?? 0 };
      case 'FAILED':
        throw new OpsError(`The move failed after ${progress(task)}: ${task.FailureReason ?? 'no reason given'}.`);
      case 'CANCELLED':
        throw new OpsError(`The move was cancelled after ${progress(task)}.`);
      default:
        break;
    }
  }
  throw new OpsError(`Stopped watching after ${maxPolls} checks; the move goes on (task ${taskHandle}).`);
}
