/**
 * DynamoDB table layouts, shared by the stack, the stores, the tests and the local mode.
 * The stack builds its tables from these constants; dynalite (tests, local mode) gets them from {@link ensureTables}.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type CreateTableCommandOutput,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
} from '@aws-sdk/client-dynamodb';

/** Delivery records (dedupe on X-GitHub-Delivery). */
export const DELIVERIES_TABLE = {
  partitionKey: 'id',
  /** TTL attribute, epoch SECONDS. Conditions check it too, since TTL deletion is lazy (and never happens in dynalite). */
  ttlAttribute: 'expiresAt',
} as const;

/** Thread state per repository + PR (`<repository.id>#<pr number>`). */
export const THREADS_TABLE = {
  partitionKey: 'key',
} as const;

export interface TableNames {
  readonly deliveries: string;
  readonly threads: string;
}

/** Create-table inputs (on-demand billing) for dynalite and the local mode. */
export function createTableInputs(names: TableNames): readonly CreateTableCommandInput[] {
  return [
    {
      TableName: names.deliveries,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: DELIVERIES_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: DELIVERIES_TABLE.partitionKey, KeyType: 'HASH' }],
    },
    {
      TableName: names.threads,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: THREADS_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: THREADS_TABLE.partitionKey, KeyType: 'HASH' }],
    },
  ];
}

/** What {@link ensureTables} needs: a `DynamoDBClient` or a `DynamoDBDocumentClient` both fit. */
export interface TableAdmin {
  send(command: CreateTableCommand): Promise<CreateTableCommandOutput>;
  send(command: DescribeTableCommand): Promise<DescribeTableCommandOutput>;
}

/** Creates the tables that do not exist yet and waits until every one is ACTIVE. */
export async function ensureTables(
  client: TableAdmin,
  names: TableNames,
  options: { readonly pollMs?: number; readonly maxAttempts?: number } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  const maxAttempts = options.maxAttempts ?? 300;
  for (const input of createTableInputs(names)) {
    const tableName = input.TableName!;
    if ((await tableStatus(client, tableName)) === undefined) {
      try {
        await client.send(new CreateTableCommand(input));
      } catch (err) {
        if (errorName(err) !== 'ResourceInUseException') throw err;
      }
    }
    await waitUntilActive(client, tableName, pollMs, maxAttempts);
  }
}

async function tableStatus(client: TableAdmin, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? 'UNKNOWN';
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

async function waitUntilActive(
  client: TableAdmin,
  tableName: string,
  pollMs: number,
  maxAttempts: number,
): Promise<void> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if ((await tableStatus(client, tableName)) === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`DynamoDB table ${tableName} did not become ACTIVE after ${maxAttempts} checks`);
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
