/**
 * A {@link DiscordPort} decorator that records every request and its answer for the page, attributed to the
 * delivery being processed (through AsyncLocalStorage, since several PR groups run at once).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DiscordError, type DiscordPort } from '../lambdas/core/ports';
import type { DiscordCall } from './history';

export interface CallContext {
  readonly deliveryId: string;
  readonly attempt: number;
}

export interface RecordingDiscord {
  readonly port: DiscordPort;
  /** Runs `fn` with its Discord calls attributed to `context`. */
  run<T>(context: CallContext, fn: () => Promise<T>): Promise<T>;
}

export function describeError(err: unknown): string {
  if (err instanceof DiscordError) {
    const code = err.code === undefined ? '' : ` code ${err.code}`;
    return `${err.kind} (HTTP ${err.status}${code}): ${err.message}`;
  }
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function createRecordingDiscord(
  inner: DiscordPort,
  record: (context: CallContext, call: DiscordCall) => void,
  now: () => number = Date.now,
): RecordingDiscord {
  const storage = new AsyncLocalStorage<CallContext>();

  const wrap =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const context = storage.getStore();
      const at = now();
      const request = args.length === 1 ? args[0] : args;
      try {
        const response = await fn(...args);
        if (context) {
          record(context, { at, attempt: context.attempt, operation, request, ok: true, response, ms: now() - at });
        }
        return response;
      } catch (err) {
        if (context) {
          const error = describeError(err);
          record(context, { at, attempt: context.attempt, operation, request, ok: false, error, ms: now() - at });
        }
        throw err;
      }
    };

  const port: DiscordPort = {
    getChannel: wrap('getChannel', (channelId) => inner.getChannel(channelId)),
    setForumTags: wrap('setForumTags', (channelId, tags) => inner.setForumTags(channelId, tags)),
    createMessage: wrap('createMessage', (channelId, message) => inner.createMessage(channelId, message)),
    editMessage: wrap('editMessage', (channelId, messageId, message) =>
      inner.editMessage(channelId, messageId, message),
    ),
    deleteMessage: wrap('deleteMessage', (channelId, messageId) => inner.deleteMessage(channelId, messageId)),
    startThreadFromMessage: wrap('startThreadFromMessage', (channelId, messageId, name) =>
      inner.startThreadFromMessage(channelId, messageId, name),
    ),
    createForumPost: wrap('createForumPost', (channelId, input) => inner.createForumPost(channelId, input)),
    findThread: wrap('findThread', (guildId, channelId, name) => inner.findThread(guildId, channelId, name)),
    editThread: wrap('editThread', (threadId, patch) => inner.editThread(threadId, patch)),
    recentMessages: wrap('recentMessages', (channelId, limit) => inner.recentMessages(channelId, limit)),
  };

  return { port, run: (context, fn) => storage.run(context, fn) };
}
