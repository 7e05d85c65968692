/**
 * DynamoDB adapters: the delivery store (dedupe on X-GitHub-Delivery, with leases) and the thread store
 * (optimistic locking on `version`). Shared by the worker Lambda and the local mode (dynalite).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ClaimResult, type DeliveryStore, StaleStateError, type ThreadStore } from '../core/ports';
import { TAG_NAMES, type ThreadState } from '../core/types';
import * as z from '../core/zod';
import { DELIVERIES_TABLE, THREADS_TABLE } from './tables';

const DAY_MS = 24 * 60 * 60 * 1000;
/** GitHub allows manual redelivery for 3 days; keep records well past that. */
const MIN_RETENTION_DAYS = 7;

export interface DynamoOptions {
  /** e.g. dynalite's URL; the default AWS endpoint when omitted. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function createDynamo(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function isConditionFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

// ---------------------------------------------------------------- deliveries

/** `complete` found the record no longer ours: our lease expired and another attempt claimed the delivery. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface DeliveryStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  /** How long a done record blocks a redelivery. @default 30 (minimum 7; GitHub redelivers for 3 days) */
  readonly retentionDays?: number;
  /** Stored on claims for debugging, e.g. the Lambda request id. */
  readonly owner?: string;
}

const ID = DELIVERIES_TABLE.partitionKey;
const EXPIRES = DELIVERIES_TABLE.ttlAttribute;

/**
 * Records: `{ id, status: 'inprogress', leaseUntil (ms), token, owner?, expiresAt (s) }` while an attempt runs,
 * `{ id, status: 'done', expiresAt (s), completedAt (ms) }` afterwards. Expiry is part of every condition
 * (TTL deletion is lazy, and dynalite never deletes), always measured against the caller's `now`.
 */
export function createDeliveryStore(options: DeliveryStoreOptions): DeliveryStore {
  const { doc, table, owner } = options;
  const retentionDays = options.retentionDays ?? 30;
  if (!(retentionDays >= MIN_RETENTION_DAYS)) {
    throw new Error(`retentionDays must be at least ${MIN_RETENTION_DAYS} (got ${retentionDays}).`);
  }
  const retentionMs = retentionDays * DAY_MS;
  /** Delivery id → the token of this instance's live claim. */
  const tokens = new Map<string, string>();
  /** Delivery id → epoch ms of the first attempt at it (for the live claims of this instance). */
  const firstAttempts = new Map<string, number>();

  /** Same predicate as the put condition, evaluated on an item we read back. */
  const claimable = (item: Record<string, unknown>, now: number): boolean =>
    Number(item[EXPIRES]) < toSeconds(now) ||
    item['status'] === 'failed' ||
    (item['status'] === 'inprogress' && Number(item['leaseUntil']) < now);

  /** `reclaimed`: an earlier attempt failed or died (its Discord effects may be partly applied). */
  const tryClaim = async (
    deliveryId: string,
    now: number,
    leaseMs: number,
    token: string,
  ): Promise<'claimed' | 'reclaimed' | false> => {
    try {
      const out = await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { [ID]: deliveryId },
          UpdateExpression:
            'SET #status = :inprogress, #leaseUntil = :leaseUntil, #token = :token, claimedAt = :now, ' +
            '#expiresAt = :expiresAt, firstClaimedAt = if_not_exists(firstClaimedAt, :now)' +
            (owner === undefined ? '' : ', #owner = :owner') +
            ' REMOVE completedAt',
          ConditionExpression:
            'attribute_not_exists(#id) OR #expiresAt < :nowSeconds OR #status = :failed OR (#status = :inprogress AND #leaseUntil < :now)',
          ExpressionAttributeNames: {
            '#id': ID,
            '#expiresAt': EXPIRES,
            '#status': 'status',
            '#leaseUntil': 'leaseUntil',
            '#token': 'token',
            ...(owner === undefined ? {} : { '#owner': 'owner' }),
          },
          ExpressionAttributeValues: {
            ':nowSeconds': toSeconds(now),
            ':inprogress': 'inprogress',
            ':failed': 'failed',
            ':now': now,
            ':leaseUntil': now + leaseMs,
            ':token': token,
            ':expiresAt': toSeconds(now + retentionMs),
            ...(owner === undefined ? {} : { ':owner': owner }),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = out.Attributes;
      // An earlier attempt failed or died (a done record past its expiry is a new delivery, not a retry).
      const earlier =
        old !== undefined && old['status'] !== 'done' ? Number(old['firstClaimedAt'] ?? old['claimedAt']) : undefined;
      firstAttempts.set(deliveryId, earlier ?? now);
      return earlier === undefined ? 'claimed' : 'reclaimed';
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  };

  return {
    async claim(deliveryId, now, leaseMs): Promise<ClaimResult> {
      if (!(leaseMs > 0)) throw new Error(`leaseMs must be positive (got ${leaseMs}).`);
      for (let attempt = 0; attempt < 2; attempt++) {
        const token = randomUUID();
        const claimed = await tryClaim(deliveryId, now, leaseMs, token);
        if (claimed) {
          tokens.set(deliveryId, token);
          return claimed;
        }
        const out = await doc.send(
          new GetCommand({ TableName: table, Key: { [ID]: deliveryId }, ConsistentRead: true }),
        );
        const item: Record<string, unknown> | undefined = out.Item;
        // Vanished (released) or became claimable between our put and our read: try once more.
        if (item === undefined || claimable(item, now)) continue;
        return item['status'] === 'done' ? 'done' : 'busy';
      }
      return 'busy';
    },

    firstAttemptAt(deliveryId) {
      return firstAttempts.get(deliveryId);
    },

    async complete(deliveryId, now): Promise<void> {
      const token = tokens.get(deliveryId);
      if (token === undefined) {
        throw new LeaseLostError(`Delivery ${deliveryId} is not claimed by this store: claim it before completing.`);
      }
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { [ID]: deliveryId },
            UpdateExpression: 'SET #status = :done, #expiresAt = :expiresAt, completedAt = :now REMOVE #leaseUntil',
            ConditionExpression: '#status = :inprogress AND #token = :token',
            ExpressionAttributeNames: {
              '#status': 'status',
              '#expiresAt': EXPIRES,
              '#leaseUntil': 'leaseUntil',
              '#token': 'token',
            },
            ExpressionAttributeValues: {
              ':done': 'done',
              ':expiresAt': toSeconds(now + retentionMs),
              ':now': now,
              ':inprogress': 'inprogress',
              ':token': token,
            },
          }),
        );
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new LeaseLostError(
            `Delivery ${deliveryId}: our claim is gone (the lease expired and another attempt took over); not marked done.`,
          );
        }
        throw err;
      } finally {
        tokens.delete(deliveryId);
      }
    },

    async release(deliveryId): Promise<void> {
      const token = tokens.get(deliveryId);
      if (token === undefined) return;
      tokens.delete(deliveryId);
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { [ID]: deliveryId },
            // Kept as `failed` (not deleted): the next claim knows an earlier attempt may have applied effects.
            UpdateExpression: 'SET #status = :failed REMOVE #leaseUntil, #token',
            ConditionExpression: '#status = :inprogress AND #token = :token',
            ExpressionAttributeNames: { '#status': 'status', '#token': 'token', '#leaseUntil': 'leaseUntil' },
            ExpressionAttributeValues: { ':inprogress': 'inprogress', ':token': token, ':failed': 'failed' },
          }),
        );
      } catch (err) {
        // Missing, done, or claimed by someone else since: nothing of ours to release.
        if (!isConditionFailed(err)) throw err;
      }
    },
  };
}

/** Epoch ms → epoch seconds (DynamoDB TTL unit). */
function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

// ---------------------------------------------------------------- threads

export interface ThreadStoreOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
}

const KEY = THREADS_TABLE.partitionKey;

/**
 * The stored item → ThreadState; unknown attributes are stripped, missing collections default to empty.
 * `satisfies` keeps the shape in step with {@link ThreadState}: a field added there fails the typecheck here.
 */
const counter = z.number().check(z.int(), z.nonnegative());
const threadStateShape = {
  key: z.string(),
  version: counter,
  channelId: z.string(),
  threadId: z.optional(z.string()),
  pendingStarterId: z.optional(z.string()),
  pendingForumName: z.optional(z.string()),
  threadGeneration: z.optional(counter),
  noteScopes: z.optional(z.array(z.string())),
  name: z.optional(z.string()),
  pendingName: z.optional(z.string()),
  renames: z._default(z.array(z.number()), []),
  archived: z._default(z.boolean(), false),
  locked: z._default(z.boolean(), false),
  tags: z._default(z.array(z.enum(TAG_NAMES)), []),
  messages: z._default(z.record(z.string(), z.string()), {}),
  pr: z.optional(
    z.object({
      title: z.string(),
      status: z.enum(['open', 'draft', 'merged', 'closed']),
      review: z.enum(['approved', 'changes_requested', 'none']),
      url: z.optional(z.string()),
    }),
  ),
} satisfies Record<keyof ThreadState, z.ZodMiniType>;
const threadStateSchema = z.object(threadStateShape);

export function createThreadStore(options: ThreadStoreOptions): ThreadStore {
  const { doc, table } = options;
  return {
    async get(key): Promise<ThreadState | undefined> {
      const out = await doc.send(new GetCommand({ TableName: table, Key: { [KEY]: key }, ConsistentRead: true }));
      if (out.Item === undefined) return undefined;
      const parsed = threadStateSchema.safeParse(out.Item);
      if (!parsed.success) {
        throw new Error(`Stored thread state ${key} is malformed: ${z.prettifyError(parsed.error)}`);
      }
      return parsed.data;
    },

    async put(state): Promise<ThreadState> {
      const next: ThreadState = { ...threadStateSchema.parse(state), version: state.version + 1 };
      const expected: Omit<PutCommandInput, 'TableName' | 'Item'> =
        state.version === 0
          ? { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': KEY } }
          : {
              ConditionExpression: '#version = :version',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':version': state.version },
            };
      try {
        await doc.send(new PutCommand({ TableName: table, Item: next, ...expected }));
      } catch (err) {
        if (isConditionFailed(err)) {
          throw new StaleStateError(
            `Thread state ${state.key} changed since version ${state.version}: reload it and plan again.`,
          );
        }
        throw err;
      }
      return next;
    },
  };
}
