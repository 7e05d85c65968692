/**
 * `npm run redrive -- [--queue-url URL --dlq-url URL | --stack NAME] [--region R]`
 * Moves the dead-lettered deliveries back to the worker's queue after a fix, showing progress.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  awsCliStackOutputs,
  OpsError,
  parseArgs,
  redrive,
  requireOutput,
  STACK_OUTPUT,
  type StackOutputsReader,
  sleep,
} from './ops-lib';

export const USAGE =
  'Usage: npm run redrive -- [--queue-url URL --dlq-url URL | --stack NAME] [--region REGION]\n' +
  '  --stack reads the QueueUrl and DeadLetterQueueUrl outputs of the deployed stack.';

export interface RedriveCliDeps {
  readonly sqs: (region?: string) => SQSClient;
  readonly stackOutputs: StackOutputsReader;
  readonly print: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Runs the command; returns the process exit code (0 done, 1 refused/failed, 2 usage). */
export async function main(argv: readonly string[], deps: RedriveCliDeps): Promise<number> {
  try {
    const { values } = parseArgs(argv, { values: ['queue-url', 'dlq-url', 'stack', 'region'] });
    const region = values.region;
    let queueUrl = values['queue-url'];
    let deadLetterQueueUrl = values['dlq-url'];
    const stack = values.stack;
    if (stack !== undefined && (queueUrl !== undefined || deadLetterQueueUrl !== undefined)) {
      throw new OpsError('Pass either --stack or --queue-url with --dlq-url, not both.');
    }
    if (stack !== undefined) {
      const outputs = await deps.stackOutputs(stack, region);
      queueUrl = requireOutput(outputs, STACK_OUTPUT.queueUrl, stack);
      deadLetterQueueUrl = requireOutput(outputs, STACK_OUTPUT.deadLetterQueueUrl, stack);
    }
    if (queueUrl === undefined || deadLetterQueueUrl === undefined) {
      deps.print(USAGE);
      return 2;
    }
    const result = await redrive(
      { queueUrl, deadLetterQueueUrl },
      { sqs: deps.sqs(region), sleep: deps.sleep, print: deps.print },
    );
    deps.print(`Done: ${result.moved} message(s) moved back to the queue.`);
    return 0;
  } catch (err) {
    if (err instanceof OpsError) {
      deps.print(err.message);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    sqs: (region) => new SQSClient(region === undefined ? {} : { region }),
    stackOutputs: awsCliStackOutputs,
    print: (line) => console.log(line),
    sleep,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
      process.exitCode = 1;
    },
  );
}
