import type { SNSEvent } from 'aws-lambda';
import { AlarmMessageError, alarmConsoleUrl, renderAlarmMessage } from '../../lambdas/core/alarm-message';
import { DiscordError } from '../../lambdas/core/ports';
import { createNotifier, readNotifierEnv } from '../../lambdas/notifier/handler';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';
import { recorder } from './fake-github';

const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:discord-token-AbCdEf';
const ALARM_ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Bridge-DeadLetterQueueNotEmpty-1A2B3C';

function alarmJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    AlarmName: 'Bridge-DeadLetterQueueNotEmpty-1A2B3C',
    AlarmDescription:
      'Deliveries failed 5 times. Read the worker logs for their delivery ids, fix, then `npm run redrive`.',
    AWSAccountId: '123456789012',
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 1 out of the last 1 datapoints [2.0 (10/06/25 11:55:00)] was greater than or equal to the threshold (1.0).',
    StateChangeTime: '2025-06-10T12:00:00.000+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: ALARM_ARN,
    OldStateValue: 'OK',
    ...overrides,
  });
}

function snsEvent(...messages: { id: string; body: string }[]): SNSEvent {
  return {
    Records: messages.map((m) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:alarms:sub',
      Sns: {
        Type: 'Notification',
        MessageId: m.id,
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms',
        Subject: 'ALARM: "Bridge-DeadLetterQueueNotEmpty-1A2B3C" in US East (N. Virginia)',
        Message: m.body,
        Timestamp: '2025-06-10T12:00:01.000Z',
        SignatureVersion: '1',
        Signature: 'sig',
        SigningCertUrl: 'https://example.invalid/cert.pem',
        UnsubscribeUrl: 'https://example.invalid/unsubscribe',
        MessageAttributes: {},
      },
    })),
  };
}

let discord: TestDiscord;

beforeEach(async () => {
  discord = await startTestDiscord();
});

afterEach(async () => {
  await discord.close();
});

function notifier(token = discord.token) {
  const rec = recorder();
  let secretReads = 0;
  const notify = createNotifier({
    env: { tokenSecretArn: TOKEN_ARN, channelId: discord.textChannelId, discordApiUrl: discord.emu.url },
    secrets: {
      getSecret: async (arn) => {
        expect(arn).toBe(TOKEN_ARN);
        secretReads++;
        return `${token}\n`;
      },
    },
    log: rec.log,
  });
  return { notify, rec, reads: () => secretReads };
}

test('posts an alarm state change to the ops channel through the Discord adapter, with no mentions parsed', async () => {
  const { notify, rec } = notifier();

  await notify(
    snsEvent({ id: 'sns-1', body: alarmJson({ NewStateReason: 'probe @everyone <@&123456789012345678>' }) }),
  );

  const [message] = discord.emu.state.messages(discord.textChannelId);
  expect(message.content).toContain('🔴 **ALARM** · Bridge-DeadLetterQueueNotEmpty-1A2B3C');
  expect(message.content).toContain(
    alarmConsoleUrl({ AlarmName: 'Bridge-DeadLetterQueueNotEmpty-1A2B3C', AlarmArn: ALARM_ARN }),
  );
  expect(message.embeds[0]).toMatchObject({
    title: 'Bridge-DeadLetterQueueNotEmpty-1A2B3C',
    url: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/Bridge-DeadLetterQueueNotEmpty-1A2B3C',
    timestamp: '2025-06-10T12:00:00.000Z',
  });
  expect(message.allowedMentions).toMatchObject({ parse: [] });
  expect(message.mentionsDefaulted).toBe(false);
  expect(message.mentionEveryone).toBe(false);
  expect(message.mentionRoles).toEqual([]);
  expect(message.nonce).toHaveLength(25);
  expect(rec.lines.at(-1)).toMatchObject({ message: 'Alarm state change posted', extra: { state: 'ALARM' } });
});

test('a retried notification (same SNS message id) posts once; the token comes from the secret cache on every call', async () => {
  const { notify, reads } = notifier();
  const event = snsEvent({ id: 'sns-2', body: alarmJson() });

  await notify(event);
  await notify(event);
  await notify(snsEvent({ id: 'sns-3', body: alarmJson({ NewStateValue: 'OK', OldStateValue: 'ALARM' }) }));

  const messages = discord.emu.state.messages(discord.textChannelId);
  expect(messages.map((m) => m.content.split(' · ')[0])).toEqual(['🔴 **ALARM**', '✅ **OK**']);
  expect(reads()).toBe(3);
});

test('a revoked token fails the invocation with a forbidden DiscordError (Lambda retries it)', async () => {
  const { notify } = notifier('revoked-token');

  const failure = await notify(snsEvent({ id: 'sns-4', body: alarmJson() })).catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(DiscordError);
  expect(failure).toMatchObject({ kind: 'forbidden', status: 401 });
  expect(discord.emu.state.messages(discord.textChannelId)).toHaveLength(0);
});

test('an SNS message that is not an alarm notification is refused', async () => {
  const { notify } = notifier();

  await expect(notify(snsEvent({ id: 'sns-5', body: '{"hello":"world"}' }))).rejects.toThrow(AlarmMessageError);
  await expect(notify(snsEvent({ id: 'sns-6', body: 'plain text' }))).rejects.toThrow('The SNS message is not JSON.');
});

test('renders each state with its own style and keeps user text inert and within limits', () => {
  const long = 'x'.repeat(5000);
  const ok = renderAlarmMessage({
    AlarmName: 'Worker **error** rate',
    NewStateValue: 'OK',
    OldStateValue: 'ALARM',
    NewStateReason: long,
    AlarmArn: 'not-an-arn',
  });
  expect(ok.content).toBe('✅ **OK** · Worker \\*\\*error\\*\\* rate');
  expect(ok.embeds?.[0].url).toBeUndefined();
  expect(ok.embeds?.[0].description?.length).toBeLessThanOrEqual(1500);
  expect(ok.embeds?.[0].fields?.[0]).toEqual({ name: 'State', value: 'ALARM → OK', inline: true });
  expect(ok.mentionUserIds).toEqual([]);

  const unknown = renderAlarmMessage({ AlarmName: 'a', NewStateValue: 'INSUFFICIENT_DATA' });
  expect(unknown.content.startsWith('⚪')).toBe(true);
  expect(unknown.embeds?.[0].description).toBe('No reason given.');
});

test('the console link follows the alarm region, including China', () => {
  expect(alarmConsoleUrl({ AlarmName: 'a b', AlarmArn: 'arn:aws:cloudwatch:eu-west-3:1:alarm:a b' })).toBe(
    'https://eu-west-3.console.aws.amazon.com/cloudwatch/home?region=eu-west-3#alarmsV2:alarm/a%20b',
  );
  expect(alarmConsoleUrl({ AlarmName: 'a', AlarmArn: 'arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a' })).toBe(
    'https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a',
  );
});

test('reads its environment and names what is missing', () => {
  expect(readNotifierEnv({ DISCORD_TOKEN_SECRET_ARN: TOKEN_ARN, OPS_CHANNEL_ID: '123' })).toEqual({
    tokenSecretArn: TOKEN_ARN,
    channelId: '123',
  });
  expect(() => readNotifierEnv({ DISCORD_TOKEN_SECRET_ARN: TOKEN_ARN })).toThrow(
    'Environment variable OPS_CHANNEL_ID is not set.',
  );
});
