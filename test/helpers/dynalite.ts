/**
 * An in-memory dynalite on 127.0.0.1 (random port) with the bridge's tables, for tests.
 * Each call creates uniquely named tables, so test files can share nothing and run in parallel.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type TableNames } from '../../lambdas/adapters/tables';

interface DynaliteOptions {
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
  readonly path?: string;
}

// dynalite ships no type declarations.
const dynalite: (options: DynaliteOptions) => Server = require('dynalite');

export interface TestDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tables: TableNames;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const suffix = randomUUID();
  const tables: TableNames = { deliveries: `deliveries-${suffix}`, threads: `threads-${suffix}` };
  const close = async (): Promise<void> => {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  };
  try {
    await ensureTables(client, tables);
  } catch (err) {
    await close();
    throw err;
  }
  return { endpoint, client, doc, tables, close };
}
