/**
 * Stops hammering Discord after a 401/403: those count toward Discord's 10,000 invalid requests per 10 minutes
 * (past which Cloudflare bans the IP). After a 401 (bad token) every call fails fast; after a 403 (missing access
 * or permissions) every call on that channel or thread fails fast, for a cool-off period. The queue retries the
 * deliveries later and the DLQ catches them after max receives.
 */
import { DiscordError, type DiscordPort } from './ports';

const EVERYTHING = '*';

export function guardForbidden(port: DiscordPort, now: () => number, coolOffMs = 60_000): DiscordPort {
  const blocked = new Map<string, { until: number; error: DiscordError }>();
  const check = (scope: string) => {
    const hit = blocked.get(scope);
    if (hit && now() < hit.until) throw hit.error;
  };
  const wrap =
    <A extends [string, ...unknown[]], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      check(EVERYTHING);
      check(args[0]);
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof DiscordError && err.kind === 'forbidden') {
          blocked.set(err.status === 401 ? EVERYTHING : args[0], { until: now() + coolOffMs, error: err });
        }
        throw err;
      }
    };
  return {
    getChannel: wrap(port.getChannel.bind(port)),
    setForumTags: wrap(port.setForumTags.bind(port)),
    createMessage: wrap(port.createMessage.bind(port)),
    editMessage: wrap(port.editMessage.bind(port)),
    deleteMessage: wrap(port.deleteMessage.bind(port)),
    startThreadFromMessage: wrap(port.startThreadFromMessage.bind(port)),
    createForumPost: wrap(port.createForumPost.bind(port)),
    findThread: wrap(port.findThread.bind(port)),
    editThread: wrap(port.editThread.bind(port)),
    recentMessages: wrap(port.recentMessages.bind(port)),
  };
}
