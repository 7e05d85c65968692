import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  createDeliveryStore,
  createDynamo,
  createThreadStore,
  type DeliveryStoreOptions,
  LeaseLostError,
} from '../../../lambdas/adapters/dynamo';
import { createTableInputs, DELIVERIES_TABLE, ensureTables, THREADS_TABLE } from '../../../lambdas/adapters/tables';
import { StaleStateError } from '../../../lambdas/core/ports';
import type { ThreadState } from '../../../lambdas/core/types';
import { startDynalite, type TestDynamo } from '../../helpers/dynalite';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const LEASE = 5 * MINUTE;

let db: TestDynamo;
let counter = 0;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.close();
});

/** A fresh delivery id per test, so tests share the tables but never a record. */
function deliveryId(): string {
  counter += 1;
  return `delivery-${counter}-${Math.random().toString(36).slice(2)}`;
}

function deliveries(options: Partial<Omit<DeliveryStoreOptions, 'doc' | 'table'>> = {}) {
  return createDeliveryStore({ doc: db.doc, table: db.tables.deliveries, ...options });
}

async function rawDelivery(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await db.doc.send(new GetCommand({ TableName: db.tables.deliveries, Key: { id }, ConsistentRead: true }));
  return out.Item;
}

describe('tables', () => {
  test('create inputs key deliveries on id and threads on key, on-demand', () => {
    const [deliveriesInput, threadsInput] = createTableInputs({ deliveries: 'd', threads: 't' });
    expect(deliveriesInput).toMatchObject({
      TableName: 'd',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    expect(threadsInput).toMatchObject({
      TableName: 't',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
    });
    expect(DELIVERIES_TABLE).toEqual({ partitionKey: 'id', ttlAttribute: 'expiresAt' });
    expect(THREADS_TABLE).toEqual({ partitionKey: 'key' });
  });

  test('ensureTables leaves existing tables alone and both are ACTIVE', async () => {
    await ensureTables(db.doc, db.tables);
    for (const name of [db.tables.deliveries, db.tables.threads]) {
      const out = await db.client.send(new DescribeTableCommand({ TableName: name }));
      expect(out.Table?.TableStatus).toBe('ACTIVE');
    }
  });
});

describe('delivery store', () => {
  test('a first claim succeeds and stores a lease, a token, the owner and an expiry in epoch seconds', async () => {
    const id = deliveryId();
    expect(await deliveries({ owner: 'request-1' }).claim(id, T0, LEASE)).toBe('claimed');
    const item = await rawDelivery(id);
    expect(item).toMatchObject({ id, status: 'inprogress', leaseUntil: T0 + LEASE, owner: 'request-1' });
    expect(typeof item?.['token']).toBe('string');
    expect(item?.['expiresAt']).toBe(Math.floor((T0 + 30 * DAY) / 1000));
  });

  test('a second claim while the lease is live is busy, from another instance or the same one', async () => {
    const id = deliveryId();
    const first = deliveries();
    expect(await first.claim(id, T0, LEASE)).toBe('claimed');
    expect(await deliveries().claim(id, T0 + LEASE - 1, LEASE)).toBe('busy');
    expect(await first.claim(id, T0 + LEASE, LEASE)).toBe('busy');
  });

  test('after complete every claim answers done, for the whole retention', async () => {
    const id = deliveryId();
    const store = deliveries({ retentionDays: 7 });
    await store.claim(id, T0, LEASE);
    await store.complete(id, T0 + MINUTE);
    expect(await deliveries().claim(id, T0 + MINUTE, LEASE)).toBe('done');
    expect(await deliveries().claim(id, T0 + MINUTE + LEASE + 1, LEASE)).toBe('done');
    expect(await deliveries().claim(id, T0 + MINUTE + 7 * DAY - SECOND, LEASE)).toBe('done');
    const item = await rawDelivery(id);
    expect(item).toMatchObject({ status: 'done', expiresAt: Math.floor((T0 + MINUTE + 7 * DAY) / 1000) });
    expect(item).not.toHaveProperty('leaseUntil');
  });

  test('a done record past its expiresAt is claimable again (dynalite never deletes it)', async () => {
    const id = deliveryId();
    const store = deliveries({ retentionDays: 7 });
    await store.claim(id, T0, LEASE);
    await store.complete(id, T0);
    expect(await rawDelivery(id)).toBeDefined();
    expect(await deliveries().claim(id, T0 + 7 * DAY + 2 * SECOND, LEASE)).toBe('claimed');
    expect(await rawDelivery(id)).toMatchObject({ status: 'inprogress' });
  });

  test('after release the delivery is claimable again at once, as reclaimed, with its first attempt time', async () => {
    const id = deliveryId();
    const store = deliveries();
    expect(await store.claim(id, T0, LEASE)).toBe('claimed');
    expect(store.firstAttemptAt(id)).toBe(T0);
    await store.release(id);
    expect(await rawDelivery(id)).toMatchObject({ status: 'failed', firstClaimedAt: T0 });
    const retry = deliveries();
    expect(await retry.claim(id, T0 + SECOND, LEASE)).toBe('reclaimed');
    expect(retry.firstAttemptAt(id)).toBe(T0);
    await retry.complete(id, T0 + 2 * SECOND);
    expect(await deliveries().claim(id, T0 + 3 * SECOND, LEASE)).toBe('done');
  });

  test('an expired lease is claimable by another instance; the old instance can then neither complete nor release', async () => {
    const id = deliveryId();
    const crashed = deliveries({ owner: 'old' });
    const retry = deliveries({ owner: 'new' });
    await crashed.claim(id, T0, LEASE);
    expect(await retry.claim(id, T0 + LEASE, LEASE)).toBe('busy');
    expect(await retry.claim(id, T0 + LEASE + 1, LEASE)).toBe('reclaimed');
    await expect(crashed.complete(id, T0 + LEASE + 2)).rejects.toThrow(LeaseLostError);
    await crashed.release(id);
    expect(await rawDelivery(id)).toMatchObject({ status: 'inprogress', owner: 'new' });
    await retry.complete(id, T0 + LEASE + 3);
    expect(await deliveries().claim(id, T0 + LEASE + 4, LEASE)).toBe('done');
  });

  test('complete without a claim throws instead of marking done', async () => {
    const id = deliveryId();
    await expect(deliveries().complete(id, T0)).rejects.toThrow(LeaseLostError);
    expect(await rawDelivery(id)).toBeUndefined();
  });

  test('release never deletes a done record, even one completed by another instance', async () => {
    const id = deliveryId();
    const stale = deliveries();
    const winner = deliveries();
    await stale.claim(id, T0, LEASE);
    await winner.claim(id, T0 + LEASE + 1, LEASE);
    await winner.complete(id, T0 + LEASE + 2);
    await stale.release(id);
    expect(await rawDelivery(id)).toMatchObject({ status: 'done' });
    expect(await deliveries().claim(id, T0 + LEASE + 3, LEASE)).toBe('done');
  });

  test('release checks the status, not only the token', async () => {
    const id = deliveryId();
    const store = deliveries();
    await store.claim(id, T0, LEASE);
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tables.deliveries,
        Key: { id },
        UpdateExpression: 'SET #status = :done',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'done' },
      }),
    );
    await store.release(id);
    expect(await rawDelivery(id)).toMatchObject({ status: 'done' });
  });

  test('releasing a missing record or an unclaimed id is harmless', async () => {
    const id = deliveryId();
    const store = deliveries();
    await store.claim(id, T0, LEASE);
    await store.release(id);
    await expect(store.release(id)).resolves.toBeUndefined();
    await expect(deliveries().release(deliveryId())).resolves.toBeUndefined();
  });

  test('20 concurrent claims of one delivery: exactly one is claimed', async () => {
    const id = deliveryId();
    const results = await Promise.all(Array.from({ length: 20 }, () => deliveries().claim(id, T0, LEASE)));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'busy')).toHaveLength(19);
  });

  test('20 concurrent claims of an expired lease: exactly one takes it over', async () => {
    const id = deliveryId();
    await deliveries().claim(id, T0, LEASE);
    const later = T0 + LEASE + 1;
    const results = await Promise.all(Array.from({ length: 20 }, () => deliveries().claim(id, later, LEASE)));
    expect(results.filter((r) => r === 'reclaimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'busy')).toHaveLength(19);
  });

  test('retention shorter than 7 days is refused', () => {
    expect(() => deliveries({ retentionDays: 3 })).toThrow(/at least 7/);
  });
});

describe('thread store', () => {
  const threads = () => createThreadStore({ doc: db.doc, table: db.tables.threads });
  let n = 0;
  const threadKey = (): string => {
    n += 1;
    return `4242#${n}`;
  };

  const fullState = (key: string): ThreadState => ({
    key,
    version: 0,
    channelId: '1100000000000000001',
    threadId: '1200000000000000001',
    pendingStarterId: '1200000000000000002',
    pendingForumName: 'PR #7 · Forum name',
    threadGeneration: 2,
    noteScopes: ['n0123456789abcdef'],
    name: 'PR #7 · Add the thing',
    pendingName: 'PR #7 · Add the thing, renamed',
    renames: [T0, T0 + MINUTE],
    archived: true,
    locked: false,
    tags: ['Open', 'Changes requested'],
    messages: { summary: '1300000000000000001', 'comment:123': '1300000000000000002', 'd-1:0': '' },
    pr: { title: 'Add the thing', status: 'draft', review: 'changes_requested', url: 'https://github.com/o/r/pull/7' },
  });

  test('get of an unknown key is undefined', async () => {
    expect(await threads().get(threadKey())).toBeUndefined();
  });

  test('every field roundtrips, arrays and the messages map included, with the version bumped', async () => {
    const state = fullState(threadKey());
    const saved = await threads().put(state);
    expect(saved).toEqual({ ...state, version: 1 });
    expect(await threads().get(state.key)).toEqual({ ...state, version: 1 });
  });

  test('a minimal state roundtrips without inventing optional fields', async () => {
    const state: ThreadState = {
      key: threadKey(),
      version: 0,
      channelId: 'c',
      renames: [],
      archived: false,
      locked: false,
      tags: [],
      messages: {},
    };
    await threads().put(state);
    expect(await threads().get(state.key)).toStrictEqual({ ...state, version: 1 });
  });

  test('get strips attributes that are not part of the thread state', async () => {
    const key = threadKey();
    await threads().put(fullState(key));
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tables.threads,
        Key: { key },
        UpdateExpression: 'SET updatedAt = :t, expiresAt = :t',
        ExpressionAttributeValues: { ':t': 1 },
      }),
    );
    const got = await threads().get(key);
    expect(got).not.toHaveProperty('updatedAt');
    expect(got).not.toHaveProperty('expiresAt');
  });

  test('successive puts move the version on, each from the previous one', async () => {
    const store = threads();
    const v1 = await store.put(fullState(threadKey()));
    const v2 = await store.put({ ...v1, name: 'second' });
    expect(v2.version).toBe(2);
    expect(await store.get(v1.key)).toMatchObject({ version: 2, name: 'second' });
  });

  test('a put from an outdated version throws StaleStateError and changes nothing', async () => {
    const store = threads();
    const v1 = await store.put(fullState(threadKey()));
    await store.put({ ...v1, name: 'newer' });
    await expect(store.put({ ...v1, name: 'older' })).rejects.toThrow(StaleStateError);
    expect(await store.get(v1.key)).toMatchObject({ version: 2, name: 'newer' });
  });

  test('a version 0 put when the item exists throws StaleStateError', async () => {
    const key = threadKey();
    await threads().put(fullState(key));
    await expect(threads().put({ ...fullState(key), name: 'duplicate' })).rejects.toThrow(StaleStateError);
    expect(await threads().get(key)).toMatchObject({ version: 1, name: 'PR #7 · Add the thing' });
  });

  test('two concurrent puts from the same version: exactly one wins, the loser gets StaleStateError', async () => {
    const v1 = await threads().put(fullState(threadKey()));
    const results = await Promise.allSettled([
      threads().put({ ...v1, messages: { ...v1.messages, a: '1' } }),
      threads().put({ ...v1, messages: { ...v1.messages, b: '2' } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.status === 'rejected' && lost[0].reason).toBeInstanceOf(StaleStateError);
    const stored = await threads().get(v1.key);
    expect(stored?.version).toBe(2);
    expect(won[0]?.status === 'fulfilled' && won[0].value).toEqual(stored);
  });

  test('concurrent first puts (version 0) of one PR: exactly one creates it', async () => {
    const key = threadKey();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => threads().put({ ...fullState(key), name: `writer ${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleStateError);
    }
  });
});

test('createDynamo talks to the given endpoint', async () => {
  const doc = createDynamo({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const key = 'createDynamo#1';
  await doc.send(new PutCommand({ TableName: db.tables.threads, Item: { key, absent: undefined } }));
  const out = await db.doc.send(new GetCommand({ TableName: db.tables.threads, Key: { key }, ConsistentRead: true }));
  expect(out.Item).toEqual({ key });
});
