import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { OpsError, parseDescribeStacks, redrive } from '../../bin/ops-lib';
import { main } from '../../bin/redrive';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bridge-Queue.fifo';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bridge-Dlq.fifo';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:bridge-Queue.fifo';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:123456789012:bridge-Dlq.fifo';

const sqsMock = mockClient(SQSClient);
const noSleep = async (): Promise<void> => {};

function queues(dlqMessages: number): void {
  sqsMock
    .on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL })
    .resolves({ Attributes: { QueueArn: DLQ_ARN, ApproximateNumberOfMessages: String(dlqMessages) } });
  sqsMock
    .on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL })
    .resolves({ Attributes: { QueueArn: QUEUE_ARN, ApproximateNumberOfMessages: '0' } });
}

beforeEach(() => {
  sqsMock.reset();
});

test('happy path: starts a FIFO move from the DLQ to the queue and reports progress until COMPLETED', async () => {
  queues(3);
  sqsMock
    .on(ListMessageMoveTasksCommand)
    .resolvesOnce({ Results: [{ Status: 'COMPLETED', TaskHandle: undefined, ApproximateNumberOfMessagesMoved: 9 }] })
    .resolvesOnce({
      Results: [
        {
          Status: 'RUNNING',
          TaskHandle: 'task-1',
          ApproximateNumberOfMessagesMoved: 1,
          ApproximateNumberOfMessagesToMove: 3,
        },
      ],
    })
    .resolves({
      Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }],
    });
  sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
  const lines: string[] = [];
  const sleeps: number[] = [];

  const result = await redrive(
    { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL, pollMs: 500 },
    {
      sqs: new SQSClient({ region: 'us-east-1' }),
      sleep: async (ms) => void sleeps.push(ms),
      print: (l) => lines.push(l),
    },
  );

  expect(result).toEqual({ taskHandle: 'task-1', status: 'COMPLETED', moved: 3 });
  expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({
    SourceArn: DLQ_ARN,
    DestinationArn: QUEUE_ARN,
  });
  expect(lines).toEqual([
    `Moving about 3 message(s) from ${DLQ_ARN} back to ${QUEUE_ARN}…`,
    'RUNNING: 1/3 moved',
    'COMPLETED: 3/3 moved',
  ]);
  expect(sleeps).toEqual([500, 500]);
});

test('refuses when the DLQ is empty, without starting anything', async () => {
  queues(0);
  sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });

  await expect(
    redrive(
      { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL },
      { sqs: new SQSClient({}), sleep: noSleep, print: () => {} },
    ),
  ).rejects.toThrow(new OpsError('The dead-letter queue is empty: nothing to redrive.'));
  expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
});

test('refuses when a move is already running, naming its progress and handle', async () => {
  queues(5);
  sqsMock.on(ListMessageMoveTasksCommand).resolves({
    Results: [
      {
        Status: 'RUNNING',
        TaskHandle: 'busy-handle',
        ApproximateNumberOfMessagesMoved: 2,
        ApproximateNumberOfMessagesToMove: 7,
      },
    ],
  });

  const attempt = redrive(
    { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL },
    { sqs: new SQSClient({}), sleep: noSleep, print: () => {} },
  );

  await expect(attempt).rejects.toThrow(/already running \(2\/7 moved\).*busy-handle/);
  expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
});

test('a FAILED task is reported with its reason', async () => {
  queues(2);
  sqsMock
    .on(ListMessageMoveTasksCommand)
    .resolvesOnce({ Results: [] })
    .resolves({
      Results: [
        {
          Status: 'FAILED',
          FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
          ApproximateNumberOfMessagesMoved: 0,
        },
      ],
    });
  sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-2' });

  await expect(
    redrive(
      { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL },
      { sqs: new SQSClient({}), sleep: noSleep, print: () => {} },
    ),
  ).rejects.toThrow('The move failed after 0 moved: AWS.SimpleQueueService.NonExistentQueue.');
});

test('a CANCELLED task is reported as such', async () => {
  queues(2);
  sqsMock
    .on(ListMessageMoveTasksCommand)
    .resolvesOnce({ Results: [] })
    .resolves({
      Results: [{ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 2 }],
    });
  sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-3' });

  await expect(
    redrive(
      { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL },
      { sqs: new SQSClient({}), sleep: noSleep, print: () => {} },
    ),
  ).rejects.toThrow('The move was cancelled after 1/2 moved.');
});

test('the CLI finds the queues through the stack outputs and exits 0', async () => {
  queues(1);
  sqsMock
    .on(ListMessageMoveTasksCommand)
    .resolvesOnce({ Results: [] })
    .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 }] });
  sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-4' });
  const lines: string[] = [];
  const asked: (string | undefined)[][] = [];

  const code = await main(['--stack', 'Bridge', '--region', 'eu-west-1'], {
    sqs: () => new SQSClient({}),
    stackOutputs: async (stack, region) => {
      asked.push([stack, region]);
      return { QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL };
    },
    print: (l) => lines.push(l),
    sleep: noSleep,
  });

  expect(code).toBe(0);
  expect(asked).toEqual([['Bridge', 'eu-west-1']]);
  expect(lines.at(-1)).toBe('Done: 1 message(s) moved back to the queue.');
});

test('the CLI prints refusals and usage instead of stack traces', async () => {
  queues(0);
  sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
  const lines: string[] = [];
  const deps = {
    sqs: () => new SQSClient({}),
    stackOutputs: async () => ({ QueueUrl: QUEUE_URL }),
    print: (l: string) => lines.push(l),
    sleep: noSleep,
  };

  expect(await main(['--queue-url', QUEUE_URL, '--dlq-url', DLQ_URL], deps)).toBe(1);
  expect(await main(['--stack', 'Bridge'], deps)).toBe(1);
  expect(await main([], deps)).toBe(2);
  expect(await main(['--queue'], deps)).toBe(1);
  expect(lines).toEqual([
    'The dead-letter queue is empty: nothing to redrive.',
    'Stack Bridge has no output DeadLetterQueueUrl: is it a discord-pr-threads stack, deployed?',
    expect.stringContaining('Usage: npm run redrive'),
    'Unknown argument --queue; expected --queue-url, --dlq-url, --stack, --region.',
  ]);
});

test('describe-stacks output is read into a key → value map', () => {
  const json = JSON.stringify({
    Stacks: [{ Outputs: [{ OutputKey: 'QueueUrl', OutputValue: QUEUE_URL }, { OutputKey: 'Other' }] }],
  });
  expect(parseDescribeStacks(json)).toEqual({ QueueUrl: QUEUE_URL });
  expect(parseDescribeStacks('{}')).toEqual({});
});
