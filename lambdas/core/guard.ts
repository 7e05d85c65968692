/**
 * Stops hammering Discord after a 401/403: those count toward Discord's 10,000 invalid requests per 10 minutes
 * (past which Cloudflare bans the IP). Once one is seen, every call fails fast with the same error for a while;
 * the queue retries the deliveries later and the DLQ catches them after max receives.
 */
import { DiscordError, type DiscordPort } from './ports';

export function guardForbidden(port: DiscordPort, now: () => number, coolOffMs = 60_000): DiscordPort {
  let blocked: { until: number; error: DiscordError } | undefined;
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (blocked && now() < blocked.until) throw blocked.error;
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof DiscordError && err.kind === 'forbidden') blocked = { until: now() + coolOffMs, error: err };
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
  };
}
