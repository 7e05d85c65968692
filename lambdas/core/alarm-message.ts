/**
 * CloudWatch alarm state changes (the JSON CloudWatch publishes to the alarm topic) → one Discord message
 * for the ops channel: state, alarm name, reason, and a link to the alarm in the console. Pure; the
 * notifier Lambda posts the result through the same Discord adapter as the worker (no mentions parsed).
 */
import { createHash } from 'node:crypto';
import type { DiscordPort } from './ports';
import { block, inline, LIMITS, linkSuffix, plain } from './render';
import type { OutboundMessage } from './types';
import * as z from './zod';

const nonEmpty = z.string().check(z.minLength(1));
const optionalString = z.nullish(z.string());
const alarmSchema = z.object({
  AlarmName: nonEmpty,
  AlarmDescription: optionalString,
  NewStateValue: nonEmpty,
  OldStateValue: optionalString,
  NewStateReason: optionalString,
  StateChangeTime: optionalString,
  AlarmArn: optionalString,
  AWSAccountId: optionalString,
});

export type AlarmNotification = z.infer<typeof alarmSchema>;

/** Thrown for an SNS message that is not a CloudWatch alarm notification. */
export class AlarmMessageError extends Error {
  override readonly name = 'AlarmMessageError';
}

export function parseAlarmNotification(text: string): AlarmNotification {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AlarmMessageError('The SNS message is not JSON.');
  }
  const result = alarmSchema.safeParse(json);
  if (!result.success) {
    throw new AlarmMessageError(
      `The SNS message is not a CloudWatch alarm notification (${result.error.issues[0].path.join('.')}).`,
    );
  }
  return result.data;
}

const STATE_STYLE: Readonly<Record<string, { readonly icon: string; readonly color: number }>> = {
  ALARM: { icon: '🔴', color: 0xd93f0b },
  OK: { icon: '✅', color: 0x2da44e },
  INSUFFICIENT_DATA: { icon: '⚪', color: 0x8c959f },
};

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` → region, when the ARN has that shape. */
function regionOf(arn: string | null | undefined): string | undefined {
  const parts = arn?.split(':');
  return parts !== undefined && parts.length >= 7 && parts[2] === 'cloudwatch' && parts[3] !== ''
    ? parts[3]
    : undefined;
}

/** Console page of the alarm (needs the region, taken from the alarm ARN). */
export function alarmConsoleUrl(alarm: Pick<AlarmNotification, 'AlarmName' | 'AlarmArn'>): string | undefined {
  const region = regionOf(alarm.AlarmArn);
  if (region === undefined) return undefined;
  const domain = region.startsWith('cn-') ? 'console.amazonaws.cn' : 'console.aws.amazon.com';
  return `https://${region}.${domain}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

/** The Discord message for one alarm state change. Nothing in it can ping anyone. */
export function renderAlarmMessage(alarm: AlarmNotification): OutboundMessage {
  const state = alarm.NewStateValue;
  const style = STATE_STYLE[state] ?? STATE_STYLE.INSUFFICIENT_DATA;
  const url = alarmConsoleUrl(alarm);
  const transition = alarm.OldStateValue ? `${alarm.OldStateValue} → ${state}` : state;
  const fields = [
    { name: 'State', value: inline(transition, 100), inline: true },
    ...(alarm.AWSAccountId ? [{ name: 'Account', value: inline(alarm.AWSAccountId, 32), inline: true }] : []),
    ...(regionOf(alarm.AlarmArn)
      ? [{ name: 'Region', value: inline(regionOf(alarm.AlarmArn) ?? '', 32), inline: true }]
      : []),
    ...(alarm.AlarmDescription
      ? [{ name: 'What to do', value: block(alarm.AlarmDescription, LIMITS.fieldValue, 12) }]
      : []),
  ];
  const timestamp = alarm.StateChangeTime ? toIso(alarm.StateChangeTime) : undefined;
  return {
    content: `${style.icon} **${inline(state, 32)}** · ${inline(alarm.AlarmName, 200)}${linkSuffix('open alarm', url)}`,
    embeds: [
      {
        title: plain(alarm.AlarmName, LIMITS.embedTitle),
        ...(url === undefined ? {} : { url }),
        description: block(alarm.NewStateReason ?? 'No reason given.', 1500, 10),
        color: style.color,
        fields,
        ...(timestamp === undefined ? {} : { timestamp }),
      },
    ],
    mentionUserIds: [],
  };
}

/** CloudWatch writes `2025-06-10T12:00:00.000+0000`; Discord wants ISO 8601 it can parse. */
function toIso(time: string): string | undefined {
  const ms = Date.parse(time.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Nonce for the message of one SNS notification: a Lambda retry of the same notification posts once. */
export function alarmNonce(snsMessageId: string): string {
  return createHash('sha256').update(`alarm\u0000${snsMessageId}`).digest('base64url').slice(0, 25);
}

/** Posts one alarm notification to the ops channel. */
export async function postAlarm(
  input: { readonly snsMessageId: string; readonly message: string; readonly channelId: string },
  discord: DiscordPort,
): Promise<{ readonly alarmName: string; readonly state: string; readonly messageId: string }> {
  const alarm = parseAlarmNotification(input.message);
  const posted = await discord.createMessage(input.channelId, {
    ...renderAlarmMessage(alarm),
    nonce: alarmNonce(input.snsMessageId),
  });
  return { alarmName: alarm.AlarmName, state: alarm.NewStateValue, messageId: posted.id };
}
