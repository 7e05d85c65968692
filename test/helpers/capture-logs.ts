/** Capture log lines: an in-memory {@link Log}, and a spy on stdout/stderr for loggers that print (Powertools). */
import type { Log } from '../../lambdas/core/ports';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Record<string, unknown>;
}

export interface CapturedLog {
  readonly log: Log;
  readonly entries: LogEntry[];
  /** Every entry serialised as it would be printed (one JSON document per line). */
  lines(): string[];
}

export function captureLogs(): CapturedLog {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) =>
    (message: string, extra: Record<string, unknown> = {}): void => {
      entries.push({ level, message, extra });
    };
  return {
    log: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    entries,
    lines: () => entries.map((e) => JSON.stringify({ level: e.level, message: e.message, ...e.extra })),
  };
}

export interface CapturedOutput {
  /** Text written to stdout and stderr since the capture started, split into lines. */
  lines(): string[];
  restore(): void;
}

/** Intercept `process.stdout.write` / `process.stderr.write` (nothing reaches the terminal meanwhile). */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const grab = (chunk: unknown): boolean => {
    chunks.push(chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab);
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0),
    restore() {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
