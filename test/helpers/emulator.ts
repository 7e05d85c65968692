/**
 * Starts a Discord emulator for a test: one guild, a text channel and a forum channel, a manual clock,
 * and real `@discordjs/rest` clients pointed at it.
 */
import { REST, type RESTOptions } from '@discordjs/rest';
import { type DiscordEmulator, type DiscordEmulatorOptions, startDiscordEmulator } from '../../local/discord-emulator';

/** A clock tests move by hand (epoch ms); starts at a realistic date so snowflakes have 19 digits. */
export class ManualClock {
  constructor(public now: number = Date.parse('2025-06-02T09:00:00.000Z')) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface TestDiscord {
  readonly emu: DiscordEmulator;
  readonly clock: ManualClock;
  readonly token: string;
  readonly guildId: string;
  readonly textChannelId: string;
  readonly forumChannelId: string;
  /**
   * A REST client on the emulator: every rate limit rejects (RateLimitError), no retries, no sweep timers,
   * and no client-side global pacing (the emulator has no global limit). Override any option.
   */
  rest(options?: Partial<RESTOptions>, token?: string): REST;
  close(): Promise<void>;
}

export const TEST_TOKEN = 'test-bot-token.not-a-secret.0123456789';

export async function startTestDiscord(
  options: Partial<DiscordEmulatorOptions> & { readonly forumTags?: readonly string[] } = {},
): Promise<TestDiscord> {
  const clock = new ManualClock();
  const { forumTags, ...emulatorOptions } = options;
  const emu = await startDiscordEmulator({ token: TEST_TOKEN, clock: clock.read, ...emulatorOptions });
  const guild = emu.addGuild({ name: 'Test guild' });
  const text = emu.addChannel({ guildId: guild.id, type: 'text', name: 'pull-requests' });
  const forum = emu.addChannel({ guildId: guild.id, type: 'forum', name: 'pr-forum', tags: forumTags ?? [] });
  return {
    emu,
    clock,
    token: emu.token,
    guildId: guild.id,
    textChannelId: text.id,
    forumChannelId: forum.id,
    rest: (restOptions = {}, token = emu.token) =>
      new REST({
        api: emu.url,
        rejectOnRateLimit: () => true,
        retries: 0,
        timeout: 5_000,
        globalRequestsPerSecond: 100_000,
        hashSweepInterval: 0,
        handlerSweepInterval: 0,
        ...restOptions,
      }).setToken(token),
    close: () => emu.close(),
  };
}
