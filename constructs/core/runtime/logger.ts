/**
 * The one way a handler writes to CloudWatch Logs: every line goes through the invocation's
 * Redactor, so a password the handler has read or generated cannot be logged. No handler calls
 * console.* itself (test/runtime/handler-sources.test.ts checks).
 */
import { Redactor } from './redaction';

/** `text`: `[source] message` lines. `json`: one JSON object per line, `{source, level, event, ...fields}`. */
export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export class Logger {
  constructor(
    readonly source: string,
    readonly redactor: Redactor,
    readonly format: LogFormat = 'text',
  ) {}

  /** `message` is the line's text, or in JSON format its `event` name. */
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (this.format === 'json') {
      // Fields are redacted value by value before serialising (the JSON stays valid), then the line once more.
      const entry = this.redactor.redactValue({ source: this.source, level, event: message, ...(fields ?? {}) });
      console.log(this.redactor.redact(JSON.stringify(entry)));
      return;
    }
    const tag = level === 'info' ? '' : `${level === 'warn' ? 'WARNING' : 'ERROR'}: `;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(this.redactor.redactValue(fields))}` : '';
    const line = this.redactor.redact(`[${this.source}] ${tag}${message}${extra}`);
    if (level === 'info') console.log(line);
    else if (level === 'warn') console.warn(line);
    else console.error(line);
  }
}
