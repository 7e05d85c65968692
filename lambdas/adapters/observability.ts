/**
 * The {@link Log} and {@link MetricsSink} ports: Powertools Logger/Metrics in Lambda (JSON logs,
 * CloudWatch EMF metrics in namespace `DiscordPrThreads`), and a plain JSON-lines logger for the local mode.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Log, MetricsSink } from '../core/ports';

export const METRICS_NAMESPACE = 'DiscordPrThreads';

/** A metrics sink whose buffered metrics are written at the end of each invocation. */
export interface FlushableMetrics extends MetricsSink {
  flush(): void;
}

export function powertoolsLog(logger: Logger): Log {
  return {
    debug: (message, extra) => logger.debug(message, extra ?? {}),
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}

/**
 * Counts with dimensions are emitted at once as single metrics (each keeps its own dimension set,
 * plus `service`); the rest are buffered until {@link FlushableMetrics.flush}.
 */
export function powertoolsMetrics(metrics: Metrics): FlushableMetrics {
  return {
    count(name, value = 1, dimensions) {
      if (dimensions === undefined || Object.keys(dimensions).length === 0) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      const single = metrics.singleMetric();
      single.addDimensions({ ...dimensions });
      single.addMetric(name, MetricUnit.Count, value);
    },
    milliseconds(name, value) {
      metrics.addMetric(name, MetricUnit.Milliseconds, value);
    },
    flush() {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

export interface LambdaObservability {
  /** For `logger.addContext(context)` in the handler. */
  readonly logger: Logger;
  readonly log: Log;
  readonly metrics: FlushableMetrics;
}

/** Powertools Logger + Metrics for one Lambda function (`service` dimension and log key = `serviceName`). */
export function createLambdaObservability(serviceName: string): LambdaObservability {
  const logger = new Logger({ serviceName });
  return {
    logger,
    log: powertoolsLog(logger),
    metrics: powertoolsMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName })),
  };
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLinesLogOptions {
  /** Receives one JSON document per line, without the newline. @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default 'info' */
  readonly level?: LogLevel;
  /** Keys added to every line (e.g. `{ service: 'local' }`). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A JSON-lines {@link Log} for the local mode: `{"level","message","timestamp",...fields,...extra}`. */
export function createJsonLinesLog(options: JsonLinesLogOptions = {}): Log {
  const { write = (line: string) => process.stdout.write(`${line}\n`), level = 'info', fields = {} } = options;
  const now = options.now ?? (() => new Date());
  const emit =
    (lineLevel: LogLevel) =>
    (message: string, extra?: Record<string, unknown>): void => {
      if (RANK[lineLevel] < RANK[level]) return;
      const entry = { level: lineLevel.toUpperCase(), message, timestamp: now().toISOString(), ...fields, ...extra };
      let line: string;
      try {
        line = JSON.stringify(entry, replacer);
      } catch {
        line = JSON.stringify({ level: entry.level, message, timestamp: entry.timestamp, logError: 'unserializable' });
      }
      write(line);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
