/**
 * The one pino root. Tokens, secrets, phone numbers and signatures are
 * redacted wherever they appear in a logged object.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

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
export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'robosre' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (!destination && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss', singleLine: true } } });
  }
  return pino(options, destination);
}
