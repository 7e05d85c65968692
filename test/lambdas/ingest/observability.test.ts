import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  createJsonLinesLog,
  createLambdaObservability,
  METRICS_NAMESPACE,
  powertoolsLog,
  powertoolsMetrics,
} from '../../../lambdas/adapters/observability';
import { type CapturedOutput, captureOutput } from '../../helpers/capture-logs';

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

const parsed = () => output.lines().map((line) => JSON.parse(line) as Record<string, unknown>);

describe('Powertools adapters', () => {
  test('the log port writes one JSON line per call with the extra keys', () => {
    const log = powertoolsLog(new Logger({ serviceName: 'ingest', logLevel: 'DEBUG' }));
    log.info('Delivery accepted', { deliveryId: 'd-1', groupId: '1#2' });
    log.error('Publish failed');
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Delivery accepted',
        service: 'ingest',
        deliveryId: 'd-1',
        groupId: '1#2',
      }),
      expect.objectContaining({ level: 'ERROR', message: 'Publish failed', service: 'ingest' }),
    ]);
  });

  test('plain counts are buffered until flush, then written as EMF in the DiscordPrThreads namespace', () => {
    const metrics = powertoolsMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ingest' }));
    metrics.count('SignatureRejected');
    metrics.milliseconds('EndToEndLag', 42);
    expect(output.lines()).toEqual([]);
    metrics.flush();
    const [emf] = parsed();
    expect(emf).toMatchObject({ service: 'ingest', SignatureRejected: 1, EndToEndLag: 42 });
    expect(JSON.stringify(emf)).toContain(`"Namespace":"${METRICS_NAMESPACE}"`);
  });

  test('counts with dimensions are written at once with their own dimension set', () => {
    const metrics = powertoolsMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ingest' }));
    metrics.count('DeliveriesIgnored', 1, { EventType: 'push' });
    const [emf] = parsed();
    expect(emf).toMatchObject({ service: 'ingest', EventType: 'push', DeliveriesIgnored: 1 });
    expect(JSON.stringify(emf)).toMatch(/"Dimensions":\[\["service","EventType"\]\]/);
  });

  test('flushing with nothing stored writes nothing (no empty-metrics warning)', () => {
    powertoolsMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'ingest' })).flush();
    expect(output.lines()).toEqual([]);
  });

  test('createLambdaObservability wires both for one service', () => {
    const { log, metrics } = createLambdaObservability('ingest-test');
    log.warn('hello', { deliveryId: 'd-2' });
    metrics.count('PublishFailed');
    metrics.flush();
    expect(parsed()).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'hello', service: 'ingest-test', deliveryId: 'd-2' }),
      expect.objectContaining({ service: 'ingest-test', PublishFailed: 1 }),
    ]);
  });
});

describe('createJsonLinesLog', () => {
  const at = () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5));

  test('writes one JSON document per line with level, message, timestamp, fields and extra', () => {
    const lines: string[] = [];
    const log = createJsonLinesLog({ write: (l) => lines.push(l), fields: { service: 'local' }, now: at });
    log.info('Delivery accepted', { deliveryId: 'd-1' });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        level: 'INFO',
        message: 'Delivery accepted',
        timestamp: '2025-01-02T03:04:05.000Z',
        service: 'local',
        deliveryId: 'd-1',
      },
    ]);
  });

  test('drops lines below the level', () => {
    const lines: string[] = [];
    const log = createJsonLinesLog({ write: (l) => lines.push(l), level: 'warn', now: at });
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['c', 'd']);
  });

  test('serialises errors and survives unserialisable extras', () => {
    const lines: string[] = [];
    const log = createJsonLinesLog({ write: (l) => lines.push(l), now: at });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.error('failed', { err: new TypeError('boom'), n: 10n });
    log.error('weird', { circular });
    expect(JSON.parse(lines[0])).toMatchObject({ err: { name: 'TypeError', message: 'boom' }, n: '10' });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'ERROR', message: 'weird', logError: 'unserializable' });
  });

  test('writes to stdout by default', () => {
    createJsonLinesLog({ now: at }).info('to stdout');
    expect(parsed()).toEqual([expect.objectContaining({ message: 'to stdout' })]);
  });
});
