/**
 * The emulator's in-memory Discord: guilds, channels, threads, messages, and the rules Discord applies
 * to them. Every method either applies a whole change or throws an {@link ApiFailure} having changed nothing.
 */
import { FormErrors, failures, formCodes, isObject, isSnowflake, SnowflakeGenerator } from './model';
import {
  type AllowedMentionsRecord,
  charLength,
  computeMentions,
  type EmbedRecord,
  LIMITS,
  type MentionResult,
  type MessageInput,
  parseMessageInput,
  validateAppliedTags,
  validateAutoArchive,
  validateBoolean,
  validateName,
} from './validate';

export const ChannelTypes = { text: 0, publicThread: 11, privateThread: 12, forum: 15 } as const;
export type ChannelTypeNumber = (typeof ChannelTypes)[keyof typeof ChannelTypes];

export interface StoreOptions {
  readonly clock: () => number;
  readonly nonceWindowMs: number;
  readonly renameLimit: { readonly max: number; readonly windowMs: number } | false;
  /** The bot has MANAGE_THREADS: it may post in locked threads and (un)lock them. */
  readonly manageThreads: boolean;
  /** The bot user; its id is generated when absent. */
  readonly bot: { readonly id?: string; readonly username: string };
}

export interface GuildRecord {
  readonly id: string;
  name: string;
  readonly createdAt: number;
}

export interface TagRecord {
  readonly id: string;
  name: string;
  moderated: boolean;
  emojiId: string | null;
  emojiName: string | null;
}

export interface ThreadRecord {
  archived: boolean;
  locked: boolean;
  archiveTimestamp: number;
  autoArchiveDuration: number;
  appliedTags: string[];
  readonly ownerId: string;
  /** Forum posts: the starter message (same id as the thread). */
  readonly starterMessageId: string | null;
  messageCount: number;
}

export interface ChannelRecord {
  readonly id: string;
  readonly guildId: string;
  readonly type: ChannelTypeNumber;
  name: string;
  /** Threads: the text or forum channel they live in. */
  readonly parentId: string | null;
  topic: string | null;
  tags: TagRecord[];
  forbidden: boolean;
  readonly createdAt: number;
  deletedAt: number | null;
  readonly messageIds: string[];
  /** Times of successful renames (rename budget). */
  renames: number[];
  renameCount: number;
  lastMessageId: string | null;
  readonly thread: ThreadRecord | null;
}

export interface MentionHistoryEntry {
  readonly op: 'create' | 'edit';
  readonly at: number;
  readonly allowedMentions: AllowedMentionsRecord | null;
  readonly mentions: MentionResult;
}

export interface MessageRecord {
  readonly id: string;
  readonly channelId: string;
  readonly authorId: string;
  content: string;
  embeds: readonly EmbedRecord[];
  readonly type: 0 | 19;
  readonly createdAt: number;
  editedAt: number | null;
  deletedAt: number | null;
  readonly nonce: string | null;
  readonly reference: { readonly messageId: string; readonly channelId: string } | null;
  threadId: string | null;
  allowedMentions: AllowedMentionsRecord | null;
  mentions: MentionResult;
  readonly history: MentionHistoryEntry[];
}

export type Created<T> = { readonly status: 200 | 201; readonly value: T };

export class DiscordStore {
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, MessageRecord>();
  /** Known user names for mentions (the bot and any added users). */
  readonly users = new Map<string, string>();
  readonly ids: SnowflakeGenerator;
  readonly botId: string;
  readonly #nonces = new Map<string, { readonly messageId: string; readonly at: number }>();

  constructor(readonly options: StoreOptions) {
    this.ids = new SnowflakeGenerator(options.clock);
    this.botId = options.bot.id ?? this.ids.next();
    this.users.set(this.botId, options.bot.username);
  }

  get now(): number {
    return this.options.clock();
  }

  // ------------------------------------------------------------------ setup (not through the API)

  addGuild(name: string): GuildRecord {
    const guild: GuildRecord = { id: this.ids.next(), name, createdAt: this.now };
    this.guilds.set(guild.id, guild);
    return guild;
  }

  addChannel(guildId: string, kind: 'text' | 'forum', name: string, tagNames: readonly string[]): ChannelRecord {
    if (!this.guilds.has(guildId)) throw new Error(`unknown guild ${guildId}`);
    const channel = this.#newChannel({
      guildId,
      type: kind === 'forum' ? ChannelTypes.forum : ChannelTypes.text,
      name,
      parentId: null,
      thread: null,
    });
    channel.tags = tagNames.map((tag) => this.#newTag(tag));
    return channel;
  }

  /** What a human moderator does in the Discord UI: no validation, no rename budget, no permissions. */
  moderate(
    threadId: string,
    change: { readonly archived?: boolean; readonly locked?: boolean; readonly name?: string },
  ) {
    const channel = this.channels.get(threadId);
    if (!channel?.thread) throw new Error(`unknown thread ${threadId}`);
    if (change.name !== undefined) channel.name = change.name;
    if (change.locked !== undefined) channel.thread.locked = change.locked;
    if (change.archived !== undefined && change.archived !== channel.thread.archived) {
      channel.thread.archived = change.archived;
      channel.thread.archiveTimestamp = this.now;
    }
  }

  // ------------------------------------------------------------------ look-ups

  guild(id: string): GuildRecord {
    const guild = this.guilds.get(id);
    if (!guild) throw failures.unknownGuild();
    return guild;
  }

  /** A live channel or thread the bot can see: 10003 when unknown or deleted, 50001 when forbidden. */
  channel(id: string): ChannelRecord {
    const channel = this.channels.get(id);
    if (!channel || channel.deletedAt !== null) throw failures.unknownChannel();
    const parent = channel.parentId === null ? undefined : this.channels.get(channel.parentId);
    if (channel.forbidden || parent?.forbidden) throw failures.missingAccess();
    return channel;
  }

  message(channel: ChannelRecord, id: string): MessageRecord {
    const message = this.messages.get(id);
    if (!message || message.deletedAt !== null || message.channelId !== channel.id) throw failures.unknownMessage();
    return message;
  }

  // ------------------------------------------------------------------ messages

  createMessage(channelId: string, body: unknown): MessageRecord {
    const channel = this.channel(channelId);
    if (channel.type === ChannelTypes.forum) throw failures.forumMessage();
    const errors = new FormErrors();
    const input = parseMessageInput(errors, body, [], 'create');
    errors.throwIfAny();
    if (isEmpty(input.content ?? '', input.embeds ?? [])) throw failures.emptyMessage();

    const nonceKey = input.nonce === undefined ? undefined : `${channel.id}:${this.botId}:${input.nonce}`;
    if (input.enforceNonce && nonceKey !== undefined) {
      const seen = this.#nonces.get(nonceKey);
      if (seen && this.now - seen.at < this.options.nonceWindowMs) {
        const first = this.messages.get(seen.messageId);
        if (first) return first;
      }
    }

    this.#assertWritable(channel, 'send');
    let reference: MessageRecord['reference'] = null;
    let repliedAuthorId: string | undefined;
    if (input.reference) {
      const target = this.messages.get(input.reference.messageId);
      const refChannel = input.reference.channelId ?? channel.id;
      if (target && target.deletedAt === null && target.channelId === channel.id && refChannel === channel.id) {
        reference = { messageId: target.id, channelId: channel.id };
        repliedAuthorId = target.authorId;
      } else if (input.reference.failIfNotExists) {
        const refErrors = new FormErrors();
        refErrors.add(['message_reference'], 'REPLIES_UNKNOWN_MESSAGE', 'Unknown message');
        refErrors.throwIfAny();
      }
    }
    this.#unarchiveOnSend(channel);
    const message = this.#insertMessage(channel, {
      id: this.ids.next(),
      input,
      reference,
      repliedAuthorId,
    });
    if (nonceKey !== undefined) this.#nonces.set(nonceKey, { messageId: message.id, at: this.now });
    this.#sweepNonces();
    return message;
  }

  editMessage(channelId: string, messageId: string, body: unknown): MessageRecord {
    const channel = this.channel(channelId);
    const message = this.message(channel, messageId);
    const errors = new FormErrors();
    const input = parseMessageInput(errors, body, [], 'edit');
    errors.throwIfAny();
    const content = input.content ?? message.content;
    const embeds = input.embeds ?? message.embeds;
    if (isEmpty(content, embeds)) throw failures.emptyMessage();
    this.#assertWritable(channel, 'edit');
    message.content = content;
    message.embeds = embeds;
    message.editedAt = this.now;
    message.allowedMentions = input.allowedMentions;
    const replied = message.reference ? this.messages.get(message.reference.messageId)?.authorId : undefined;
    message.mentions = computeMentions(content, input.allowedMentions, replied);
    message.history.push({
      op: 'edit',
      at: this.now,
      allowedMentions: input.allowedMentions,
      mentions: message.mentions,
    });
    return message;
  }

  deleteMessage(channelId: string, messageId: string): void {
    const channel = this.channel(channelId);
    const message = this.message(channel, messageId);
    this.#assertWritable(channel, 'edit');
    message.deletedAt = this.now;
  }

  // ------------------------------------------------------------------ threads

  /** `POST /channels/{id}/messages/{mid}/threads`: a public thread whose id is the message id. */
  startThreadFromMessage(channelId: string, messageId: string, body: unknown): ChannelRecord {
    const channel = this.channel(channelId);
    if (channel.type !== ChannelTypes.text) throw failures.wrongChannelType();
    const message = this.message(channel, messageId);
    const errors = new FormErrors();
    const source = isObject(body) ? body : {};
    const name = validateName(errors, source['name'], ['name'], true);
    const duration = validateAutoArchive(errors, source['auto_archive_duration'], ['auto_archive_duration']);
    errors.throwIfAny();
    if (message.threadId !== null || this.channels.has(message.id)) throw failures.threadExists();
    const thread = this.#newChannel({
      id: message.id,
      guildId: channel.guildId,
      type: ChannelTypes.publicThread,
      name: name ?? '',
      parentId: channel.id,
      thread: this.#newThread(duration, null),
    });
    message.threadId = thread.id;
    return thread;
  }

  /**
   * `POST /channels/{id}/threads`: in a text channel a thread without a message, PRIVATE unless `type: 11`;
   * in a forum channel a post, which requires `message` and takes `applied_tags`.
   */
  startThread(channelId: string, body: unknown): { thread: ChannelRecord; starter: MessageRecord | null } {
    const channel = this.channel(channelId);
    if (channel.type !== ChannelTypes.text && channel.type !== ChannelTypes.forum) throw failures.wrongChannelType();
    const errors = new FormErrors();
    const source = isObject(body) ? body : {};
    const name = validateName(errors, source['name'], ['name'], true);
    const duration = validateAutoArchive(errors, source['auto_archive_duration'], ['auto_archive_duration']);

    if (channel.type === ChannelTypes.text) {
      const rawType = source['type'];
      const allowed: readonly unknown[] = [undefined, null, ChannelTypes.publicThread, ChannelTypes.privateThread];
      if (!allowed.includes(rawType))
        errors.add(['type'], formCodes.choice([11, 12]).code, formCodes.choice([11, 12]).message);
      errors.throwIfAny();
      const type = rawType === ChannelTypes.publicThread ? ChannelTypes.publicThread : ChannelTypes.privateThread;
      const thread = this.#newChannel({
        guildId: channel.guildId,
        type,
        name: name ?? '',
        parentId: channel.id,
        thread: this.#newThread(duration, null),
      });
      return { thread, starter: null };
    }

    const rawMessage = source['message'];
    let input: MessageInput | undefined;
    if (rawMessage === undefined || rawMessage === null) {
      const required = formCodes.required();
      errors.add(['message'], required.code, required.message);
    } else input = parseMessageInput(errors, rawMessage, ['message'], 'create');
    const tags = validateAppliedTags(
      errors,
      source['applied_tags'],
      ['applied_tags'],
      new Set(channel.tags.map((t) => t.id)),
    );
    errors.throwIfAny();
    if (!input || isEmpty(input.content ?? '', input.embeds ?? [])) throw failures.emptyMessage();
    const id = this.ids.next();
    const record = this.#newThread(duration, id);
    record.appliedTags = tags ?? [];
    const thread = this.#newChannel({
      id,
      guildId: channel.guildId,
      type: ChannelTypes.publicThread,
      name: name ?? '',
      parentId: channel.id,
      thread: record,
    });
    const starter = this.#insertMessage(thread, { id, input, reference: null, repliedAuthorId: undefined });
    return { thread, starter };
  }

  /** `PATCH /channels/{id}` on a thread or a channel. */
  patchChannel(channelId: string, body: unknown): ChannelRecord {
    const channel = this.channel(channelId);
    const source = isObject(body) ? body : {};
    const errors = new FormErrors();
    const name = validateName(errors, source['name'], ['name'], false);
    if (channel.thread) {
      const thread = channel.thread;
      const archived = validateBoolean(errors, source['archived'], ['archived']);
      const locked = validateBoolean(errors, source['locked'], ['locked']);
      const duration = validateAutoArchive(errors, source['auto_archive_duration'], ['auto_archive_duration']);
      const parent = channel.parentId === null ? undefined : this.channels.get(channel.parentId);
      let tags: string[] | undefined;
      if (source['applied_tags'] !== undefined) {
        if (parent?.type !== ChannelTypes.forum)
          errors.add(['applied_tags'], 'TAG_INVALID', 'Tags require a forum thread.');
        else
          tags = validateAppliedTags(
            errors,
            source['applied_tags'],
            ['applied_tags'],
            new Set(parent.tags.map((t) => t.id)),
          );
      }
      errors.throwIfAny();
      // An archived thread is immutable: every PATCH must unarchive it (and locking it without unarchiving fails).
      if (thread.archived && archived !== false) throw failures.archivedThread();
      if (!this.options.manageThreads) {
        if (locked !== undefined && locked !== thread.locked) throw failures.missingPermissions();
        if (thread.locked && archived === false && thread.archived) throw failures.threadLocked();
      }
      const renamed = name !== undefined && name !== channel.name;
      if (renamed) this.#spendRename(channel);
      if (renamed && name !== undefined) channel.name = name;
      if (archived !== undefined && archived !== thread.archived) {
        thread.archived = archived;
        thread.archiveTimestamp = this.now;
      }
      if (locked !== undefined) thread.locked = locked;
      if (duration !== undefined) thread.autoArchiveDuration = duration;
      if (tags !== undefined) thread.appliedTags = tags;
      return channel;
    }

    let topic: string | null | undefined;
    if (source['topic'] === null) topic = null;
    else if (source['topic'] !== undefined) {
      if (typeof source['topic'] !== 'string')
        errors.add(['topic'], formCodes.string().code, formCodes.string().message);
      else if (charLength(source['topic']) > 1024) {
        const max = formCodes.maxLength(1024);
        errors.add(['topic'], max.code, max.message);
      } else topic = source['topic'];
    }
    const tags =
      channel.type === ChannelTypes.forum ? this.#parseForumTags(errors, channel, source['available_tags']) : undefined;
    errors.throwIfAny();
    const renamed = name !== undefined && name !== channel.name;
    if (renamed) this.#spendRename(channel);
    if (renamed && name !== undefined) channel.name = name;
    if (topic !== undefined) channel.topic = topic;
    if (tags !== undefined) {
      channel.tags = tags;
      const live = new Set(tags.map((t) => t.id));
      for (const thread of this.threadsOf(channel.id)) {
        if (thread.thread) thread.thread.appliedTags = thread.thread.appliedTags.filter((id) => live.has(id));
      }
    }
    return channel;
  }

  deleteChannel(channelId: string): ChannelRecord {
    const channel = this.channel(channelId);
    channel.deletedAt = this.now;
    for (const thread of this.threadsOf(channel.id)) thread.deletedAt = this.now;
    return channel;
  }

  threadsOf(parentId: string): ChannelRecord[] {
    return [...this.channels.values()].filter((c) => c.parentId === parentId && c.deletedAt === null);
  }

  /** `GET /guilds/{id}/threads/active`: every unarchived thread of the guild the bot can see. */
  activeThreads(guildId: string): ChannelRecord[] {
    this.guild(guildId);
    return [...this.channels.values()].filter((c) => {
      if (c.guildId !== guildId || !c.thread || c.thread.archived || c.deletedAt !== null || c.forbidden) return false;
      const parent = c.parentId === null ? undefined : this.channels.get(c.parentId);
      return parent !== undefined && !parent.forbidden && parent.deletedAt === null;
    });
  }

  /**
   * `GET /channels/{id}/threads/archived/public`: archived public threads, newest archive first,
   * `before` an ISO8601 timestamp (or a snowflake), `limit` 1-100 (default 50).
   */
  archivedPublicThreads(
    channelId: string,
    before: string | null,
    limitParam: string | null,
  ): { threads: ChannelRecord[]; hasMore: boolean } {
    const channel = this.channel(channelId);
    if (channel.thread) throw failures.wrongChannelType();
    const errors = new FormErrors();
    let beforeMs = Number.POSITIVE_INFINITY;
    if (before !== null) {
      const parsed = isSnowflake(before) ? Number(BigInt(before) >> 22n) + 1_420_070_400_000 : Date.parse(before);
      if (Number.isNaN(parsed)) errors.add(['before'], 'DATE_TYPE_PARSE', 'Could not interpret "before" as a date.');
      else beforeMs = parsed;
    }
    let limit = 50;
    if (limitParam !== null) {
      const n = Number(limitParam);
      if (!Number.isInteger(n) || n < 1 || n > 100)
        errors.add(['limit'], 'NUMBER_TYPE_MAX', 'int value should be between 1 and 100.');
      else limit = n;
    }
    errors.throwIfAny();
    const all = this.threadsOf(channel.id)
      .filter((t) => t.type === ChannelTypes.publicThread && t.thread?.archived && t.thread.archiveTimestamp < beforeMs)
      .sort((a, b) => (b.thread?.archiveTimestamp ?? 0) - (a.thread?.archiveTimestamp ?? 0));
    return { threads: all.slice(0, limit), hasMore: all.length > limit };
  }

  // ------------------------------------------------------------------ internals

  #newChannel(init: {
    id?: string;
    guildId: string;
    type: ChannelTypeNumber;
    name: string;
    parentId: string | null;
    thread: ThreadRecord | null;
  }): ChannelRecord {
    const channel: ChannelRecord = {
      id: init.id ?? this.ids.next(),
      guildId: init.guildId,
      type: init.type,
      name: init.name,
      parentId: init.parentId,
      topic: null,
      tags: [],
      forbidden: false,
      createdAt: this.now,
      deletedAt: null,
      messageIds: [],
      renames: [],
      renameCount: 0,
      lastMessageId: null,
      thread: init.thread,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  #newThread(duration: number | undefined, starterMessageId: string | null): ThreadRecord {
    return {
      archived: false,
      locked: false,
      archiveTimestamp: this.now,
      autoArchiveDuration: duration ?? 4320,
      appliedTags: [],
      ownerId: this.botId,
      starterMessageId,
      messageCount: 0,
    };
  }

  #newTag(name: string): TagRecord {
    return { id: this.ids.next(), name, moderated: false, emojiId: null, emojiName: null };
  }

  #insertMessage(
    channel: ChannelRecord,
    init: {
      id: string;
      input: MessageInput;
      reference: MessageRecord['reference'];
      repliedAuthorId: string | undefined;
    },
  ): MessageRecord {
    const content = init.input.content ?? '';
    const mentions = computeMentions(content, init.input.allowedMentions, init.repliedAuthorId);
    const message: MessageRecord = {
      id: init.id,
      channelId: channel.id,
      authorId: this.botId,
      content,
      embeds: init.input.embeds ?? [],
      type: init.reference ? 19 : 0,
      createdAt: this.now,
      editedAt: null,
      deletedAt: null,
      nonce: init.input.nonce ?? null,
      reference: init.reference,
      threadId: null,
      allowedMentions: init.input.allowedMentions,
      mentions,
      history: [{ op: 'create', at: this.now, allowedMentions: init.input.allowedMentions, mentions }],
    };
    this.messages.set(message.id, message);
    channel.messageIds.push(message.id);
    channel.lastMessageId = message.id;
    if (channel.thread && message.id !== channel.thread.starterMessageId) channel.thread.messageCount += 1;
    return message;
  }

  /** Archived AND locked: 50083. Archived (not locked): sending unarchives it; editing/deleting fails (50083). */
  #assertWritable(channel: ChannelRecord, op: 'send' | 'edit'): void {
    const thread = channel.thread;
    if (!thread) return;
    if (thread.archived && (op === 'edit' || thread.locked)) throw failures.archivedThread();
    if (thread.locked && !this.options.manageThreads) throw failures.threadLocked();
  }

  #unarchiveOnSend(channel: ChannelRecord): void {
    if (channel.thread?.archived) {
      channel.thread.archived = false;
      channel.thread.archiveTimestamp = this.now;
    }
  }

  /** About 2 renames per 10 minutes per channel or thread; the next one gets a 429 (a sublimit). */
  #spendRename(channel: ChannelRecord): void {
    const limit = this.options.renameLimit;
    const now = this.now;
    if (limit) {
      channel.renames = channel.renames.filter((at) => now - at < limit.windowMs);
      const oldest = channel.renames[0];
      if (channel.renames.length >= limit.max && oldest !== undefined) {
        throw failures.rateLimited({
          retryAfterMs: Math.max(1, oldest + limit.windowMs - now),
          bucketExhausted: false,
          scope: 'user',
        });
      }
    }
    channel.renames.push(now);
    channel.renameCount += 1;
  }

  #parseForumTags(errors: FormErrors, channel: ChannelRecord, raw: unknown): TagRecord[] | undefined {
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) {
      errors.add(['available_tags'], formCodes.array().code, formCodes.array().message);
      return undefined;
    }
    if (raw.length > LIMITS.forumTags) {
      const max = formCodes.maxLength(LIMITS.forumTags);
      errors.add(['available_tags'], max.code, max.message);
    }
    const existing = new Map(channel.tags.map((t) => [t.id, t]));
    const result: TagRecord[] = [];
    raw.forEach((tag: unknown, i: number) => {
      const path = ['available_tags', i];
      if (!isObject(tag)) {
        errors.add(path, formCodes.object().code, formCodes.object().message);
        return;
      }
      const name = tag['name'];
      if (typeof name !== 'string' || charLength(name.trim()) < 1 || charLength(name) > LIMITS.tagName) {
        const bad = formCodes.badLength(1, LIMITS.tagName);
        errors.add([...path, 'name'], bad.code, bad.message);
        return;
      }
      const id = tag['id'];
      const known = typeof id === 'string' ? existing.get(id) : undefined;
      if (id !== undefined && id !== null && !known) {
        errors.add([...path, 'id'], 'TAG_INVALID', 'Tag is invalid or does not exist.');
        return;
      }
      const record = known ? { ...known } : this.#newTag(name);
      record.name = name;
      if (typeof tag['moderated'] === 'boolean') record.moderated = tag['moderated'];
      const emojiId = tag['emoji_id'];
      const emojiName = tag['emoji_name'];
      if (emojiId === null || typeof emojiId === 'string') record.emojiId = emojiId;
      if (emojiName === null || typeof emojiName === 'string') record.emojiName = emojiName;
      result.push(record);
    });
    return result;
  }

  #sweepNonces(): void {
    const now = this.now;
    for (const [key, seen] of this.#nonces) {
      if (now - seen.at >= this.options.nonceWindowMs) this.#nonces.delete(key);
    }
  }
}

function isEmpty(content: string, embeds: readonly EmbedRecord[]): boolean {
  return content.trim() === '' && embeds.length === 0;
}
