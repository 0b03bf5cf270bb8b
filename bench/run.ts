/**
 * `npm run bench` — times our kernels against baselines in this process and prints a table.
 *   --json              one JSON object per row and baseline on stdout (keys: name, shape, dtype,
 *                       threads, oursMs, oursRange, gflops, baseline, baselineThreads, baselineMs,
 *                       ratio), nothing else; progress goes to stderr
 *   --filter <substr>   only rows whose "name shape dtype" contains substr (case-insensitive)
 * Rows are registered by the imported row files (bench/kernels.ts, bench/models.ts); add more files there.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import '../src/node-workers.js';
import { backendInfo } from '../src/tensor/backend.js';
import { availableCores } from '../src/tensor/wasm/threads.js';
import { initBaselines } from './baselines.js';
import { formatJson, formatTable, runRows } from './harness.js';
import { NOTES } from './kernels.js';
import { checkResnetLogits, registerOnnxRows } from './models.js';
import './transformers.js';

function parseArgs(argv: readonly string[]): { json: boolean; filter: string | undefined } {
  let json = false;
  let filter: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--filter') {
      filter = argv[++i];
      if (filter === undefined) throw new Error('bench: --filter needs a substring');
    } else if (a.startsWith('--filter=')) filter = a.slice('--filter='.length);
    else throw new Error(`bench: unknown argument ${a} (use --json, --filter <substring>)`);
  }
  return { json, filter };
}

/** A full-GC function without restarting node with --expose-gc. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

const args = parseArgs(process.argv.slice(2));
await initBaselines();
await registerOnnxRows();
// The ResNet-18 rows must time one network: every runtime's logits against PyTorch's.
const logits = await checkResnetLogits();
const logitNote = logits === null ? null : `ResNet-18 logits vs PyTorch's, largest |difference|: ${Object.entries(logits).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`;
if (logits !== null && Object.values(logits).some((v) => !(v < 1e-3))) process.stderr.write(`bench: WARNING the ResNet-18 rows do not run the same network: ${logitNote}\n`);
const t0 = performance.now();
const gc = exposeGc();
const results = await runRows({ filter: args.filter, progress: (m) => process.stderr.write(`  ${m}\n`), ...(gc ? { beforeEach: gc } : {}) });
if (args.json) {
  if (results.length > 0) process.stdout.write(`${formatJson(results)}\n`);
} else {
  console.log(formatTable(results));
  console.log('');
  for (const n of NOTES) console.log(`note: ${n}`);
  if (logitNote !== null) console.log(`note: ${logitNote}.`);
  console.log(`note: camlab backend ${backendInfo().backend}; thr = threads camlab used (setThreads), on ${availableCores()} cores.`);
  console.log(`note: ${results.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; node ${process.version}.`);
}
