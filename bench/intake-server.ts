/**
 * robosre's intake (fastify + the engine on a SQLite file) in a process of its
 * own, as Alertmanager is in the side-by-side rows: the bench's client then
 * costs neither server a core. Prints the webhook URL as one JSON line; stops
 * when its stdin closes.
 */
import { startIntake } from '../test/alertmanager/intake.js';
import { CountingExecutor, DEFAULT_ANALYSIS_DELAY_MS, SETTINGS, TOKEN, UNBOUNDED } from './intake-setup.js';

const intake = await startIntake({ settings: { ...SETTINGS, analysisDelayMs: DEFAULT_ANALYSIS_DELAY_MS }, executor: new CountingExecutor(), auth: { kind: 'bearer', token: TOKEN }, limits: UNBOUNDED });
process.stdout.write(`${JSON.stringify({ webhookUrl: intake.webhookUrl })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void intake.close().then(() => process.exit(0));
});
