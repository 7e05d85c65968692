/**
 * Two renderings of the store: Discord API JSON (what the REST client receives) and plain read-only
 * views (what tests and the local web page read).
 */
import { iso, type Json, type JsonObject, toJson } from './model';
import { type ChannelRecord, ChannelTypes, type DiscordStore, type MessageRecord } from './store';
import type { AllowedMentionsRecord, EmbedRecord } from './validate';

// ------------------------------------------------------------------ Discord API JSON

function userJson(store: DiscordStore, id: string): JsonObject {
  const username = store.users.get(id) ?? `user-${id.slice(-6)}`;
  return {
    id,
    username,
    discriminator: '0',
    global_name: null,
    avatar: null,
    ...(id === store.botId && { bot: true }),
  };
}

function embedJson(embed: EmbedRecord): Json {
  return toJson(embed);
}

export function channelJson(store: DiscordStore, channel: ChannelRecord): JsonObject {
  const base = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name,
    flags: 0,
    last_message_id: channel.lastMessageId,
    rate_limit_per_user: 0,
  };
  const thread = channel.thread;
  if (thread) {
    const parent = channel.parentId === null ? undefined : store.channels.get(channel.parentId);
    return {
      ...base,
      parent_id: channel.parentId,
      owner_id: thread.ownerId,
      message_count: thread.messageCount,
      member_count: 1,
      total_message_sent: thread.messageCount,
      thread_metadata: {
        archived: thread.archived,
        auto_archive_duration: thread.autoArchiveDuration,
        archive_timestamp: iso(thread.archiveTimestamp),
        locked: thread.locked,
        create_timestamp: iso(channel.createdAt),
        ...(channel.type === ChannelTypes.privateThread && { invitable: true }),
      },
      ...(parent?.type === ChannelTypes.forum && { applied_tags: [...thread.appliedTags] }),
    };
  }
  return {
    ...base,
    position: 0,
    parent_id: null,
    permission_overwrites: [],
    nsfw: false,
    topic: channel.topic,
    ...(channel.type === ChannelTypes.forum && {
      available_tags: channel.tags.map((t) => ({
        id: t.id,
        name: t.name,
        moderated: t.moderated,
        emoji_id: t.emojiId,
        emoji_name: t.emojiName,
      })),
      default_reaction_emoji: null,
      default_sort_order: null,
      default_forum_layout: 0,
    }),
  };
}

export function threadMemberJson(store: DiscordStore, channel: ChannelRecord): JsonObject {
  return { id: channel.id, user_id: store.botId, join_timestamp: iso(channel.createdAt), flags: 1 };
}

export function messageJson(store: DiscordStore, message: MessageRecord, depth = 0): JsonObject {
  const referenced = message.reference ? store.messages.get(message.reference.messageId) : undefined;
  const thread = message.threadId === null ? undefined : store.channels.get(message.threadId);
  const channel = store.channels.get(message.channelId);
  return {
    id: message.id,
    channel_id: message.channelId,
    author: userJson(store, message.authorId),
    content: message.content,
    timestamp: iso(message.createdAt),
    edited_timestamp: message.editedAt === null ? null : iso(message.editedAt),
    tts: false,
    mention_everyone: message.mentions.everyone,
    mentions: message.mentions.users.map((id) => userJson(store, id)),
    mention_roles: [...message.mentions.roles],
    attachments: [],
    embeds: message.embeds.map(embedJson),
    pinned: false,
    type: message.type,
    flags: 0,
    components: [],
    ...(message.nonce !== null && { nonce: message.nonce }),
    ...(channel?.thread && { position: Math.max(0, channel.messageIds.indexOf(message.id)) }),
    ...(message.reference && {
      message_reference: {
        type: 0,
        message_id: message.reference.messageId,
        channel_id: message.reference.channelId,
        guild_id: channel?.guildId ?? null,
      },
      referenced_message:
        referenced && referenced.deletedAt === null && depth === 0 ? messageJson(store, referenced, 1) : null,
    }),
    ...(thread && thread.deletedAt === null && { thread: channelJson(store, thread) }),
  };
}

// ------------------------------------------------------------------ views for tests and the web page

export interface AllowedMentionsView {
  readonly parse: readonly string[];
  readonly users: readonly string[];
  readonly roles: readonly string[];
  readonly replied_user: boolean;
}

export interface MentionEntryView {
  readonly op: 'create' | 'edit';
  readonly at: string;
  /** What the request carried; `null` when it had no `allowed_mentions` (Discord's defaults applied). */
  readonly allowedMentions: AllowedMentionsView | null;
  readonly mentions: readonly string[];
  readonly mentionEveryone: boolean;
}

export interface MessageView {
  readonly id: string;
  readonly channelId: string;
  readonly authorId: string;
  readonly content: string;
  readonly embeds: readonly Json[];
  readonly type: number;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deleted: boolean;
  readonly nonce: string | null;
  /** Id of the message this one replies to. */
  readonly replyTo: string | null;
  /** Thread started from this message. */
  readonly threadId: string | null;
  /** `allowed_mentions` of the last create/edit; `null` when it was absent. */
  readonly allowedMentions: AllowedMentionsView | null;
  /** True when the last create/edit had no `allowed_mentions`, so Discord parsed every mention. */
  readonly mentionsDefaulted: boolean;
  /** User ids this message pings. */
  readonly mentions: readonly string[];
  readonly mentionRoles: readonly string[];
  readonly mentionEveryone: boolean;
  /** Every create/edit with the allowed_mentions it carried. */
  readonly history: readonly MentionEntryView[];
}

export interface TagView {
  readonly id: string;
  readonly name: string;
}

export interface ChannelView {
  readonly id: string;
  readonly guildId: string;
  readonly name: string;
  readonly kind: 'text' | 'forum';
  readonly type: number;
  readonly tags: readonly TagView[];
  readonly forbidden: boolean;
  readonly deleted: boolean;
  readonly renames: number;
  /** Text channels: messages posted in the channel itself (thread starters among them). */
  readonly messages: readonly MessageView[];
}

export interface ThreadView {
  readonly id: string;
  readonly guildId: string;
  readonly parentId: string;
  readonly name: string;
  readonly type: number;
  readonly private: boolean;
  readonly archived: boolean;
  readonly locked: boolean;
  readonly archiveTimestamp: string;
  readonly appliedTagIds: readonly string[];
  /** Names of the applied forum tags. */
  readonly appliedTags: readonly string[];
  /** Forum posts: the starter message id (= thread id). Text threads: the message they were started from. */
  readonly starterMessageId: string | null;
  readonly createdAt: string;
  readonly deleted: boolean;
  /** Successful renames so far. */
  readonly renames: number;
  readonly messages: readonly MessageView[];
}

export interface GuildView {
  readonly id: string;
  readonly name: string;
}

function allowedView(allowed: AllowedMentionsRecord | null): AllowedMentionsView | null {
  return allowed
    ? {
        parse: [...allowed.parse],
        users: [...allowed.users],
        roles: [...allowed.roles],
        replied_user: allowed.replied_user,
      }
    : null;
}

export function messageView(message: MessageRecord): MessageView {
  return {
    id: message.id,
    channelId: message.channelId,
    authorId: message.authorId,
    content: message.content,
    embeds: message.embeds.map(embedJson),
    type: message.type,
    createdAt: iso(message.createdAt),
    editedAt: message.editedAt === null ? null : iso(message.editedAt),
    deleted: message.deletedAt !== null,
    nonce: message.nonce,
    replyTo: message.reference?.messageId ?? null,
    threadId: message.threadId,
    allowedMentions: allowedView(message.allowedMentions),
    mentionsDefaulted: message.mentions.defaulted,
    mentions: [...message.mentions.users],
    mentionRoles: [...message.mentions.roles],
    mentionEveryone: message.mentions.everyone,
    history: message.history.map((h) => ({
      op: h.op,
      at: iso(h.at),
      allowedMentions: allowedView(h.allowedMentions),
      mentions: [...h.mentions.users],
      mentionEveryone: h.mentions.everyone,
    })),
  };
}

function messagesOf(store: DiscordStore, channel: ChannelRecord): MessageView[] {
  return channel.messageIds.flatMap((id) => {
    const message = store.messages.get(id);
    return message ? [messageView(message)] : [];
  });
}

export function channelView(store: DiscordStore, channel: ChannelRecord): ChannelView {
  return {
    id: channel.id,
    guildId: channel.guildId,
    name: channel.name,
    kind: channel.type === ChannelTypes.forum ? 'forum' : 'text',
    type: channel.type,
    tags: channel.tags.map((t) => ({ id: t.id, name: t.name })),
    forbidden: channel.forbidden,
    deleted: channel.deletedAt !== null,
    renames: channel.renameCount,
    messages: messagesOf(store, channel),
  };
}

export function threadView(store: DiscordStore, channel: ChannelRecord): ThreadView | undefined {
  const thread = channel.thread;
  if (!thread || channel.parentId === null) return undefined;
  const parent = store.channels.get(channel.parentId);
  const tagNames = new Map(parent?.tags.map((t) => [t.id, t.name]) ?? []);
  const startedFrom = store.messages.get(channel.id);
  return {
    id: channel.id,
    guildId: channel.guildId,
    parentId: channel.parentId,
    name: channel.name,
    type: channel.type,
    private: channel.type === ChannelTypes.privateThread,
    archived: thread.archived,
    locked: thread.locked,
    archiveTimestamp: iso(thread.archiveTimestamp),
    appliedTagIds: [...thread.appliedTags],
    appliedTags: thread.appliedTags.flatMap((id) => {
      const name = tagNames.get(id);
      return name === undefined ? [] : [name];
    }),
    starterMessageId: thread.starterMessageId ?? (startedFrom ? startedFrom.id : null),
    createdAt: iso(channel.createdAt),
    deleted: channel.deletedAt !== null,
    renames: channel.renameCount,
    messages: messagesOf(store, channel),
  };
}
