/**
 * `npm run eval:ai`: the recorded incidents against an endpoint
 * (ROBOSRE_AI_BASE_URL, ROBOSRE_AI_MODEL, ROBOSRE_AI_API_KEY; EVAL_K runs per
 * case, default 3), or with `--emulator` against the scripted oracle, which
 * checks the harness (every case must pass; CI runs this). `--case <name>`
 * runs one case; EVAL_JUDGE=1 adds the endpoint's own verdict on each root
 * cause. Prints pass@1 and pass-all-of-k per case, tokens and wall time.
 */
import { OpenAiEmulator } from '../../test/ai/openai-emulator.js';
import { CASES } from './cases.js';
import { report, runEval, type Endpoint } from './harness.js';
import { oracle } from './oracle.js';

const args = process.argv.slice(2);
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
const cases = only ? CASES.filter((c) => c.name === only) : CASES;
if (cases.length === 0) {
  process.stderr.write(`no case named ${only}; cases: ${CASES.map((c) => c.name).join(', ')}\n`);
  process.exit(2);
}
const k = Number(process.env.EVAL_K ?? 3);
if (!Number.isInteger(k) || k < 1) {
  process.stderr.write(`EVAL_K must be a positive integer, got ${process.env.EVAL_K}\n`);
  process.exit(2);
}

let emulator: OpenAiEmulator | undefined;
let endpoint: Endpoint;
if (args.includes('--emulator')) {
  emulator = await OpenAiEmulator.start({ models: ['oracle'] });
  emulator.respond(oracle(cases));
  endpoint = { baseUrl: emulator.baseUrl, model: 'oracle', apiKey: emulator.apiKey, timeout: '5s', maxWallTime: '30s', judge: process.env.EVAL_JUDGE === '1' };
} else {
  const baseUrl = process.env.ROBOSRE_AI_BASE_URL;
  const model = process.env.ROBOSRE_AI_MODEL;
  if (!baseUrl || !model) {
    process.stderr.write('set ROBOSRE_AI_BASE_URL (e.g. http://localhost:11434/v1) and ROBOSRE_AI_MODEL, or pass --emulator\n');
    process.exit(2);
  }
  endpoint = { baseUrl, model, judge: process.env.EVAL_JUDGE === '1', ...(process.env.ROBOSRE_AI_API_KEY ? { apiKey: process.env.ROBOSRE_AI_API_KEY } : {}) };
}

const results = await runEval(cases, endpoint, k, (c, i, r) => process.stderr.write(`${c.name} run ${i + 1}/${k}: ${r.pass ? 'pass' : `fail (${r.problems.join('; ')})`}\n`));
await emulator?.close();
process.stdout.write(`${report(results, k)}\n`);
if (emulator && results.some((r) => r.runs.some((x) => !x.pass))) process.exit(1);
