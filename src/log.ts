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

export function createLogger(level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'robosre' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
