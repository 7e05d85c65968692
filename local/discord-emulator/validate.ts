/**
 * Discord's request validation for the bodies the bridge sends: message content and embed limits,
 * nonce, allowed_mentions, replies, thread names. Violations are collected into one 50035 answer.
 */
import { addFormError, type FormErrors, formCodes, isObject, isSnowflake } from './model';

export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  embedTotal: 6000,
  nonce: 25,
  allowedMentionIds: 100,
  threadName: 100,
  appliedTags: 5,
  forumTags: 20,
  tagName: 20,
} as const;

export const AUTO_ARCHIVE_DURATIONS = [60, 1440, 4320, 10080] as const;

type Path = readonly (string | number)[];

/** Discord counts characters, not UTF-16 units. */
export function charLength(text: string): number {
  return [...text].length;
}

export interface EmbedRecord {
  readonly type: 'rich';
  readonly title?: string;
  readonly description?: string;
  readonly url?: string;
  readonly color?: number;
  readonly timestamp?: string;
  readonly fields?: readonly { readonly name: string; readonly value: string; readonly inline: boolean }[];
  readonly footer?: { readonly text: string };
  readonly author?: { readonly name: string; readonly url?: string; readonly icon_url?: string };
}

export type MentionType = 'users' | 'roles' | 'everyone';
const MENTION_TYPES: readonly MentionType[] = ['users', 'roles', 'everyone'];

export interface AllowedMentionsRecord {
  readonly parse: readonly MentionType[];
  readonly users: readonly string[];
  readonly roles: readonly string[];
  readonly replied_user: boolean;
}

export interface MessageInput {
  /** `undefined`: not sent (an edit keeps the current content). */
  readonly content?: string;
  readonly embeds?: readonly EmbedRecord[];
  readonly nonce?: string;
  readonly enforceNonce: boolean;
  /** `null`: absent, so Discord's defaults apply (parse everything). */
  readonly allowedMentions: AllowedMentionsRecord | null;
  readonly reference?: { readonly messageId: string; readonly channelId?: string; readonly failIfNotExists: boolean };
}

function optionalString(
  errors: FormErrors,
  source: Record<string, unknown>,
  key: string,
  path: Path,
  max: number,
): string | undefined {
  const value = source[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    addFormError(errors, [...path, key], formCodes.string());
    return undefined;
  }
  if (charLength(value) > max) addFormError(errors, [...path, key], formCodes.maxLength(max));
  return value;
}

function requiredString(
  errors: FormErrors,
  source: Record<string, unknown>,
  key: string,
  path: Path,
  max: number,
): string | undefined {
  const value = source[key];
  if (value === undefined || value === null || value === '') {
    addFormError(errors, [...path, key], formCodes.required());
    return undefined;
  }
  return optionalString(errors, source, key, path, max);
}

function parseEmbed(errors: FormErrors, raw: unknown, path: Path): { embed: EmbedRecord; size: number } | undefined {
  if (!isObject(raw)) {
    addFormError(errors, path, formCodes.object());
    return undefined;
  }
  let size = 0;
  const count = (text: string | undefined): string | undefined => {
    if (text !== undefined) size += charLength(text);
    return text;
  };
  const title = count(optionalString(errors, raw, 'title', path, LIMITS.embedTitle));
  const description = count(optionalString(errors, raw, 'description', path, LIMITS.embedDescription));
  const url = optionalString(errors, raw, 'url', path, 2048);
  const timestamp = optionalString(errors, raw, 'timestamp', path, 64);
  let color: number | undefined;
  if (raw['color'] !== undefined && raw['color'] !== null) {
    const c = raw['color'];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 0xffffff) {
      addFormError(errors, [...path, 'color'], {
        code: 'NUMBER_TYPE_MAX',
        message: 'int value should be less than or equal to 16777215.',
      });
    } else color = c;
  }
  let fields: { name: string; value: string; inline: boolean }[] | undefined;
  const rawFields = raw['fields'];
  if (rawFields !== undefined && rawFields !== null) {
    if (!Array.isArray(rawFields)) addFormError(errors, [...path, 'fields'], formCodes.array());
    else {
      if (rawFields.length > LIMITS.embedFields)
        addFormError(errors, [...path, 'fields'], formCodes.maxLength(LIMITS.embedFields));
      fields = [];
      rawFields.forEach((f: unknown, i: number) => {
        const fieldPath = [...path, 'fields', i];
        if (!isObject(f)) {
          addFormError(errors, fieldPath, formCodes.object());
          return;
        }
        const name = count(requiredString(errors, f, 'name', fieldPath, LIMITS.fieldName));
        const value = count(requiredString(errors, f, 'value', fieldPath, LIMITS.fieldValue));
        fields?.push({ name: name ?? '', value: value ?? '', inline: f['inline'] === true });
      });
    }
  }
  let footer: { text: string } | undefined;
  if (raw['footer'] !== undefined && raw['footer'] !== null) {
    const f = raw['footer'];
    if (!isObject(f)) addFormError(errors, [...path, 'footer'], formCodes.object());
    else footer = { text: count(requiredString(errors, f, 'text', [...path, 'footer'], LIMITS.footerText)) ?? '' };
  }
  let author: { name: string; url?: string; icon_url?: string } | undefined;
  if (raw['author'] !== undefined && raw['author'] !== null) {
    const a = raw['author'];
    if (!isObject(a)) addFormError(errors, [...path, 'author'], formCodes.object());
    else {
      const authorPath = [...path, 'author'];
      author = { name: count(requiredString(errors, a, 'name', authorPath, LIMITS.authorName)) ?? '' };
      const authorUrl = optionalString(errors, a, 'url', authorPath, 2048);
      const iconUrl = optionalString(errors, a, 'icon_url', authorPath, 2048);
      if (authorUrl !== undefined) author.url = authorUrl;
      if (iconUrl !== undefined) author.icon_url = iconUrl;
    }
  }
  const embed: EmbedRecord = {
    type: 'rich',
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    ...(url !== undefined && { url }),
    ...(color !== undefined && { color }),
    ...(timestamp !== undefined && { timestamp }),
    ...(fields !== undefined && { fields }),
    ...(footer !== undefined && { footer }),
    ...(author !== undefined && { author }),
  };
  return { embed, size };
}

function parseIdList(errors: FormErrors, raw: unknown, path: Path): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    addFormError(errors, path, formCodes.array());
    return [];
  }
  if (raw.length > LIMITS.allowedMentionIds) addFormError(errors, path, formCodes.maxLength(LIMITS.allowedMentionIds));
  const ids: string[] = [];
  raw.forEach((id: unknown, i: number) => {
    if (isSnowflake(id)) ids.push(id);
    else addFormError(errors, [...path, i], formCodes.snowflake());
  });
  return [...new Set(ids)];
}

function parseAllowedMentions(errors: FormErrors, raw: unknown, path: Path): AllowedMentionsRecord | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) {
    addFormError(errors, path, formCodes.object());
    return null;
  }
  const parse: MentionType[] = [];
  const rawParse = raw['parse'];
  if (rawParse !== undefined && rawParse !== null) {
    if (!Array.isArray(rawParse)) addFormError(errors, [...path, 'parse'], formCodes.array());
    else
      rawParse.forEach((t: unknown, i: number) => {
        const known = MENTION_TYPES.find((m) => m === t);
        if (known) parse.push(known);
        else addFormError(errors, [...path, 'parse', i], formCodes.choice(MENTION_TYPES));
      });
  }
  const users = parseIdList(errors, raw['users'], [...path, 'users']);
  const roles = parseIdList(errors, raw['roles'], [...path, 'roles']);
  if (parse.includes('users') && users.length > 0)
    errors.add(
      path,
      'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
      'parse:["users"] and users: [ids...] are mutually exclusive.',
    );
  if (parse.includes('roles') && roles.length > 0)
    errors.add(
      path,
      'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
      'parse:["roles"] and roles: [ids...] are mutually exclusive.',
    );
  const replied = raw['replied_user'];
  if (replied !== undefined && replied !== null && typeof replied !== 'boolean')
    addFormError(errors, [...path, 'replied_user'], formCodes.boolean());
  return { parse: [...new Set(parse)], users, roles, replied_user: replied === true };
}

/**
 * Parses a create (`mode: 'create'`) or edit body. Form errors go to `errors` (the caller throws);
 * the empty-message check (50006) is the caller's, since an edit merges with the stored message.
 */
export function parseMessageInput(
  errors: FormErrors,
  body: unknown,
  path: Path,
  mode: 'create' | 'edit',
): MessageInput {
  if (!isObject(body)) {
    addFormError(errors, path, formCodes.object());
    return { enforceNonce: false, allowedMentions: null };
  }
  let content: string | undefined;
  if (body['content'] === null) content = mode === 'edit' ? '' : undefined;
  else content = optionalString(errors, body, 'content', path, LIMITS.content);

  let embeds: EmbedRecord[] | undefined;
  const rawEmbeds = body['embeds'];
  if (rawEmbeds === null) embeds = mode === 'edit' ? [] : undefined;
  else if (rawEmbeds !== undefined) {
    if (!Array.isArray(rawEmbeds)) addFormError(errors, [...path, 'embeds'], formCodes.array());
    else {
      if (rawEmbeds.length > LIMITS.embeds)
        addFormError(errors, [...path, 'embeds'], formCodes.maxLength(LIMITS.embeds));
      embeds = [];
      let total = 0;
      rawEmbeds.forEach((raw: unknown, i: number) => {
        const parsed = parseEmbed(errors, raw, [...path, 'embeds', i]);
        if (parsed) {
          embeds?.push(parsed.embed);
          total += parsed.size;
        }
      });
      if (total > LIMITS.embedTotal)
        errors.add(
          [...path, 'embeds'],
          'MAX_EMBED_SIZE_EXCEEDED',
          `Embed size exceeds maximum size of ${LIMITS.embedTotal}`,
        );
    }
  }

  let nonce: string | undefined;
  const rawNonce = body['nonce'];
  if (typeof rawNonce === 'number' && Number.isInteger(rawNonce)) nonce = String(rawNonce);
  else if (typeof rawNonce === 'string') {
    if (charLength(rawNonce) > LIMITS.nonce)
      addFormError(errors, [...path, 'nonce'], formCodes.maxLength(LIMITS.nonce));
    nonce = rawNonce;
  } else if (rawNonce !== undefined && rawNonce !== null) addFormError(errors, [...path, 'nonce'], formCodes.string());

  const rawEnforce = body['enforce_nonce'];
  if (rawEnforce !== undefined && rawEnforce !== null && typeof rawEnforce !== 'boolean')
    addFormError(errors, [...path, 'enforce_nonce'], formCodes.boolean());

  const allowedMentions = parseAllowedMentions(errors, body['allowed_mentions'], [...path, 'allowed_mentions']);

  let reference: MessageInput['reference'];
  const rawRef = body['message_reference'];
  if (mode === 'create' && rawRef !== undefined && rawRef !== null) {
    const refPath = [...path, 'message_reference'];
    if (!isObject(rawRef)) addFormError(errors, refPath, formCodes.object());
    else if (!isSnowflake(rawRef['message_id']))
      addFormError(errors, [...refPath, 'message_id'], formCodes.snowflake());
    else {
      const channelId = rawRef['channel_id'];
      reference = {
        messageId: rawRef['message_id'],
        ...(isSnowflake(channelId) && { channelId }),
        failIfNotExists: rawRef['fail_if_not_exists'] !== false,
      };
    }
  }

  return {
    ...(content !== undefined && { content }),
    ...(embeds !== undefined && { embeds }),
    ...(nonce !== undefined && { nonce }),
    enforceNonce: rawEnforce === true,
    allowedMentions,
    ...(reference !== undefined && { reference }),
  };
}

/** Thread or channel name: 1-100 characters. */
export function validateName(errors: FormErrors, raw: unknown, path: Path, required: boolean): string | undefined {
  if (raw === undefined || raw === null) {
    if (required) addFormError(errors, path, formCodes.required());
    return undefined;
  }
  if (typeof raw !== 'string') {
    addFormError(errors, path, formCodes.string());
    return undefined;
  }
  const length = charLength(raw.trim());
  if (length < 1 || charLength(raw) > LIMITS.threadName) {
    addFormError(errors, path, formCodes.badLength(1, LIMITS.threadName));
    return undefined;
  }
  return raw;
}

export function validateAutoArchive(errors: FormErrors, raw: unknown, path: Path): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const allowed: readonly unknown[] = AUTO_ARCHIVE_DURATIONS;
  if (!allowed.includes(raw)) {
    addFormError(errors, path, formCodes.choice(AUTO_ARCHIVE_DURATIONS));
    return undefined;
  }
  return typeof raw === 'number' ? raw : undefined;
}

export function validateBoolean(errors: FormErrors, raw: unknown, path: Path): boolean | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'boolean') {
    addFormError(errors, path, formCodes.boolean());
    return undefined;
  }
  return raw;
}

/** `applied_tags`: ≤ 5 ids, each an existing tag of the forum. */
export function validateAppliedTags(
  errors: FormErrors,
  raw: unknown,
  path: Path,
  known: ReadonlySet<string>,
): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    addFormError(errors, path, formCodes.array());
    return undefined;
  }
  if (raw.length > LIMITS.appliedTags) addFormError(errors, path, formCodes.maxLength(LIMITS.appliedTags));
  const ids: string[] = [];
  raw.forEach((id: unknown, i: number) => {
    if (!isSnowflake(id)) addFormError(errors, [...path, i], formCodes.snowflake());
    else if (!known.has(id)) errors.add([...path, i], 'TAG_INVALID', 'Tag is invalid or does not exist.');
    else ids.push(id);
  });
  return [...new Set(ids)];
}

export interface MentionResult {
  readonly users: readonly string[];
  readonly roles: readonly string[];
  readonly everyone: boolean;
  /** `allowed_mentions` was absent, so Discord's defaults (parse everything) applied. */
  readonly defaulted: boolean;
}

const DEFAULT_ALLOWED: AllowedMentionsRecord = {
  parse: ['users', 'roles', 'everyone'],
  users: [],
  roles: [],
  replied_user: true,
};

/**
 * Who a message pings, like Discord computes it: only content mentions count (never embeds);
 * a `<@id>` pings when `parse` has `users` or the id is in `users`; `@everyone`/`@here` only with
 * `parse: ['everyone']`; the replied-to author only with `replied_user` (default true when absent).
 */
export function computeMentions(
  content: string,
  allowed: AllowedMentionsRecord | null,
  repliedAuthorId: string | undefined,
): MentionResult {
  const effective = allowed ?? DEFAULT_ALLOWED;
  const users = new Set<string>();
  for (const match of content.matchAll(/<@!?(\d{15,20})>/g)) {
    const id = match[1] ?? '';
    if (effective.parse.includes('users') || effective.users.includes(id)) users.add(id);
  }
  if (repliedAuthorId !== undefined && effective.replied_user) users.add(repliedAuthorId);
  const roles = new Set<string>();
  for (const match of content.matchAll(/<@&(\d{15,20})>/g)) {
    const id = match[1] ?? '';
    if (effective.parse.includes('roles') || effective.roles.includes(id)) roles.add(id);
  }
  const everyone = effective.parse.includes('everyone') && /@(everyone|here)\b/.test(content);
  return { users: [...users], roles: [...roles], everyone, defaulted: allowed === null };
}
