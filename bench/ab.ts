/**
 * A/B of two camlab trees in one process: this checkout against an earlier revision, their calls
 * interleaved round after round, so that a shared machine's drift (which moved single rows of
 * `npm run bench` by ±40 % within minutes at stop 18) falls on both alike.
 *
 *   npm run bench:ab -- --base <rev> [--threads N] [--rounds R]
 *
 * Checks the revision out into a temporary git worktree (node_modules linked from here), imports
 * both source trees, and times per round one ResNet-18 forward (the weights of bench/.models, as
 * the ResNet rows use) and three matmuls 512³ float32 of each tree. Prints per tree the fastest,
 * first-quartile and median times and the median ratio base / this. The worktree is removed after.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureModels, MODELS, ROOT } from './baselines.js';

interface Tree {
  name: string;
  forward: () => void;
  matmul: () => void;
  times: { forward: number[]; matmul: number[] };
}

function parse(argv: readonly string[]): { base: string; threads: number; rounds: number } {
  let base: string | undefined;
  let threads = 1;
  let rounds = 15;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench:ab: ${a} needs a value`);
      return v;
    };
    if (a === '--base') base = next();
    else if (a === '--threads') threads = Number(next());
    else if (a === '--rounds') rounds = Number(next());
    else throw new Error(`bench:ab: unknown argument ${a} (use --base <rev>, --threads N, --rounds R)`);
  }
  if (base === undefined) throw new Error('bench:ab: --base <rev> is required (a commit, tag or branch to compare with)');
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new Error(`bench:ab: --threads must be an integer in [1, 64], got ${threads}`);
  if (!Number.isInteger(rounds) || rounds < 3 || rounds > 1000) throw new Error(`bench:ab: --rounds must be an integer in [3, 1000], got ${rounds}`);
  return { base, threads, rounds };
}

function git(args: readonly string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench:ab: git ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** One tree's ResNet-18 and matmul, built from its own sources (its own kernels and thread pool). */
async function load(name: string, root: string, threads: number): Promise<Tree> {
  const at = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(root, 'src', path)).href)) as T;
  if (threads > 1) await at('node-workers.ts');
  const { noGrad } = await at<{ noGrad: <T>(f: () => T) => T }>('autodiff/mode.ts');
  const { resnet18Spec } = await at<{ resnet18Spec: () => Record<string, unknown> }>('nn/zoo.ts');
  const { loadModel } = await at<{ loadModel: (spec: unknown, bytes: Uint8Array) => { module: { eval(): void; call(x: unknown): unknown } } }>('io/model.ts');
  const { Tensor } = await at<{ Tensor: new (data: Float32Array, shape: number[]) => unknown }>('tensor/tensor.ts');
  const { setThreads } = await at<{ setThreads: (n: number) => void }>('tensor/wasm/threads.ts');
  const { matmul } = await at<{ matmul: (a: unknown, b: unknown) => unknown }>('tensor/matmul.ts');
  const { randn } = await at<{ randn: (shape: number[], o: { rng: number; dtype: string }) => unknown }>('tensor/create.ts');
  setThreads(threads);
  const model = loadModel({ ...resnet18Spec(), dtype: 'float32' }, new Uint8Array(readFileSync(join(MODELS, 'resnet18.safetensors')))).module;
  model.eval();
  const input = JSON.parse(readFileSync(join(MODELS, 'resnet18.io.json'), 'utf8')) as { input: number[] };
  const x = new Tensor(Float32Array.from(input.input), [1, 3, 224, 224]);
  const a = randn([512, 512], { rng: 1, dtype: 'float32' });
  const b = randn([512, 512], { rng: 2, dtype: 'float32' });
  return { name, forward: () => void noGrad(() => model.call(x)), matmul: () => void matmul(a, b), times: { forward: [], matmul: [] } };
}

const quantile = (v: readonly number[], q: number): number => [...v].sort((x, y) => x - y)[Math.floor(q * (v.length - 1))]!;
const time = (f: () => void): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

async function main(): Promise<void> {
  const { base, threads, rounds } = parse(process.argv.slice(2));
  const missing = ensureModels();
  if (missing !== null) throw new Error(`bench:ab: ${missing}`);
  const rev = git(['rev-parse', '--short', base]);
  const dir = mkdtempSync(join(tmpdir(), `camlab-ab-${rev}-`));
  git(['worktree', 'add', '--detach', dir, rev]);
  try {
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const trees = [await load(`base ${rev}`, dir, threads), await load('this checkout', ROOT, threads)];
    for (const t of trees) for (let i = 0; i < 3; i++) (t.forward(), t.matmul());
    for (let r = 0; r < rounds; r++) {
      for (const t of trees) {
        t.times.forward.push(time(t.forward));
        for (let i = 0; i < 3; i++) t.times.matmul.push(time(t.matmul));
      }
    }
    console.log(`A/B, ${rounds} interleaved rounds, ${threads} thread${threads > 1 ? 's' : ''} (ms: fastest / first quartile / median)`);
    for (const row of ['forward', 'matmul'] as const) {
      const label = row === 'forward' ? 'ResNet-18 forward' : 'matmul 512^3 f32';
      for (const t of trees) {
        const v = t.times[row];
        console.log(`  ${label.padEnd(18)} ${t.name.padEnd(16)} ${quantile(v, 0).toFixed(2).padStart(8)} / ${quantile(v, 0.25).toFixed(2).padStart(8)} / ${quantile(v, 0.5).toFixed(2).padStart(8)}`);
      }
      console.log(`  ${label.padEnd(18)} median ratio base / this: ${(quantile(trees[0]!.times[row], 0.5) / quantile(trees[1]!.times[row], 0.5)).toFixed(3)}`);
    }
  } finally {
    rmSync(join(dir, 'node_modules'), { force: true });
    git(['worktree', 'remove', '--force', dir]);
  }
}

main().then(
  () => process.exit(0), // the thread pools' workers would keep the process alive
  (e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  },
);
