/**
 * Shard result files of `camlab eval --shard k/n` and the local workers of `--workers N`. A shard
 * result holds the per-image records of its slice with every number exactly (JSON, with NaN,
 * ±Infinity and −0 spelled out), so merging shards gives the bytes a single run writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalPart } from '../cam/evaluate/index.js';
import { ROOT } from '../node/files.js';
import { CamlabError } from '../tensor/errors.js';
import type { OutputFolder } from './output.js';

/** The file a shard writes into its output folder (next to its examples/ pictures). */
export const SHARD_FILE = 'shard.json';

export interface ShardFile {
  format: 'camlab-eval-shard';
  version: 1;
  /** The evaluation's command without --shard/--workers/--out: equal in every shard of one evaluation. */
  command: string;
  shard: { index: number; count: number };
  classes: string[];
  part: EvalPart;
}

/** `k/n` → shard k (0-based) of n. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!(count >= 1 && index >= 0 && index < count)) throw new CamlabError('eval', `--shard must be k/n with 0 <= k < n (e.g. 0/4), got '${text}'`);
  return { index, count };
}

/** JSON numbers cannot be NaN, ±Infinity or −0: those are written as { "$number": "NaN" } and read back. */
function encodeNumber(_key: string, v: unknown): unknown {
  if (typeof v !== 'number' || (Number.isFinite(v) && !Object.is(v, -0))) return v;
  return { $number: Object.is(v, -0) ? '-0' : String(v) };
}

function decodeNumber(_key: string, v: unknown): unknown {
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 1 && typeof (v as { $number?: unknown }).$number === 'string') return Number((v as { $number: string }).$number);
  return v;
}

/** Stages the shard result in `out`; returns its path. */
export function writeShard(out: OutputFolder, file: ShardFile): string {
  return out.write(SHARD_FILE, `${JSON.stringify(file, encodeNumber)}\n`);
}

export function readShard(dir: string): ShardFile {
  const path = join(dir, SHARD_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CamlabError('eval', `--merge: no shard result in ${dir} (expected ${path}, written by camlab eval --shard k/n --out ${dir})`);
  }
  let file: ShardFile;
  try {
    file = JSON.parse(text, decodeNumber) as ShardFile;
  } catch (e) {
    throw new CamlabError('eval', `--merge: ${path} is not valid JSON (${(e as Error).message})`);
  }
  if (file.format !== 'camlab-eval-shard' || file.version !== 1) throw new CamlabError('eval', `--merge: ${path} is not a camlab eval shard result (format ${JSON.stringify(file.format)}, version ${JSON.stringify(file.version)})`);
  return file;
}

/**
 * Runs `camlab eval ARGV --shard k/n --out DIR_k` for k = 0..n−1 as n processes at once (the
 * camlab bin of this package) and waits for all; a failing worker is an error quoting its last
 * line of stderr. `progress` hears how many have finished.
 */
export async function runWorkers(argv: readonly string[], dirs: readonly string[], progress: (finished: number) => void): Promise<void> {
  const n = dirs.length;
  let finished = 0;
  progress(0);
  const children: ChildProcess[] = [];
  const done = Promise.all(dirs.map((dir, k) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'camlab.js'), 'eval', ...argv, '--shard', `${k}/${n}`, '--out', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-4000);
    });
    child.on('error', (e) => reject(new CamlabError('eval', `worker ${k}/${n} did not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) {
        finished++;
        progress(finished);
        resolve();
        return;
      }
      const last = err.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
      reject(new CamlabError('eval', `worker ${k}/${n} failed (exit code ${String(code)}): ${last.replace(/^camlab: /, '')}`));
    });
    children.push(child);
  })));
  try {
    await done;
  } finally {
    // One worker failed: stop the others (only the processes started here).
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
}
