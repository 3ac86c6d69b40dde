/**
 * The one pino root. Tokens, secrets, phone numbers and signatures are
 * redacted by field name wherever they appear in a logged object, and every
 * configured secret by value in the serialized line (src/redact.ts), so a
 * token an SDK copied into a URL, a message or a nested object is masked too.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { NO_SECRETS, type Redactor } from './redaction/redactor.js';

export const REDACT_PATHS = [
  '*.token',
  '*.botToken',
  '*.password',
  '*.secret',
  '*.signingSecret',
  '*.authToken',
  '*.apiKey',
  '*.authorization',
  '*.phone',
  '*.signature',
  'headers.authorization',
  'headers.cookie',
  'headers["x-slack-signature"]',
  'headers["x-twilio-signature"]',
  'headers["x-telegram-bot-api-secret-token"]',
];

/**
 * JSON lines for machines; on an interactive terminal (and without an explicit
 * destination) the same records pretty-printed for the person watching.
 */
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream, redactor: Redactor = NO_SECRETS): Logger {
  const options = {
    level,
    base: { service: 'robosre' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Applied to the finished line before any destination or transport sees it.
    hooks: { streamWrite: (line: string) => redactor.text(line) },
  };
  if (!destination && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss', singleLine: true } } });
  }
  return pino(options, destination);
}
