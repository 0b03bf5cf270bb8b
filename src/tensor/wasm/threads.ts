import { fail } from '../errors.js';
import type { WasmRuntime } from './runtime.js';

/**
 * The worker pool: T − 1 workers instantiate the kernel module on the same shared
 * WebAssembly.Memory as the calling thread, which runs jobs with them. A job is one call of an
 * exported kernel on its own output block (rows of C, channels of dx, …), so results do not
 * depend on which thread runs which job, nor on how many threads there are.
 *
 * Hand-off: the caller writes the job records into the control block at the start of memory,
 * publishes them with one atomic store, bumps a generation counter and wakes the workers with
 * Atomics.notify; everyone (the caller too) claims jobs with compare-exchange until none are
 * left; the caller then waits for the done counter. Workers sleep in Atomics.wait between runs.
 *
 * Workers come from a factory: the global `Worker` (Deno, Bun, browsers; a module worker from a
 * Blob URL) or one a runtime entry installs with `setWorkerFactory` (camlab/node installs
 * worker_threads). Browsers need cross-origin isolation for shared memory; without it (or without
 * workers) everything runs on the calling thread and `threadInfo().reason` says why.
 */

export interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): void;
}

export interface WorkerFactory {
  /** Starts a worker running `source` (a classic script body that sets `self.onmessage`). */
  create(source: string): WorkerHandle;
  /** True when the workers do not keep the process alive (Node's unref); else idle pools are stopped. */
  unrefs: boolean;
  /** Cores available, if the runtime knows (Node: os.availableParallelism()). */
  cores?: number;
}

// Control block words (Int32, at byte 0 of memory).
const GEN = 0;
const STOP = 1;
/**
 * (pool tag << 20) | (number of jobs << 10) | next job to claim; "exhausted" (next >= n) while the
 * caller writes jobs. The tag (12 bits) names the pool: a worker of a stopped pool that wakes late
 * cannot claim the jobs of the next one (its compare-exchange expects its own tag), and leaves.
 */
const CLAIM = 2;
const DONE = 3;
const ERROR = 4;
const SCRATCH_BASE = 5;
const SCRATCH_STRIDE = 6;
const READY = 7;
const RECORDS = 16;
const RECORD_WORDS = 16;
/** Job records that fit in the control block (runtime.ts reserves 64 KiB); < 1024 (10 bits of CLAIM). */
export const MAX_JOBS = Math.floor(((1 << 16) / 4 - RECORDS) / RECORD_WORDS);

/**
 * The worker's body: instantiate, then claim jobs after every generation bump until its pool is
 * stopped (STOP set, or the pool tag in CLAIM is no longer its own: checked before every wait).
 */
const WORKER_SOURCE = `
self.onmessage = (e) => {
  const { module, bytes, memory, names, tid, tag } = e.data;
  const ctl = new Int32Array(memory.buffer, 0, ${RECORDS + MAX_JOBS * RECORD_WORDS});
  const mine = () => Atomics.load(ctl, ${STOP}) === 0 && Atomics.load(ctl, ${CLAIM}) >>> 20 === tag;
  let fns;
  try {
    const instance = new WebAssembly.Instance(module ?? new WebAssembly.Module(bytes), { env: { memory } });
    fns = names.map((n) => instance.exports[n]);
  } catch (err) {
    if (mine()) Atomics.store(ctl, ${ERROR}, 1);
    return;
  }
  if (!mine()) return;
  Atomics.add(ctl, ${READY}, 1);
  const work = () => {
    for (;;) {
      const w = Atomics.load(ctl, ${CLAIM});
      const j = w & 0x3ff;
      if (w >>> 20 !== tag || j >= ((w >>> 10) & 0x3ff)) return;
      if (Atomics.compareExchange(ctl, ${CLAIM}, w, w + 1) !== w) continue;
      const r = ${RECORDS} + j * ${RECORD_WORDS};
      const args = [];
      for (let i = 0; i < ctl[r + 1]; i++) args.push(ctl[r + 2 + i]);
      args.push(ctl[${SCRATCH_BASE}] + tid * ctl[${SCRATCH_STRIDE}]);
      try { fns[ctl[r]](...args); } catch (err) { Atomics.store(ctl, ${ERROR}, 2); }
      Atomics.add(ctl, ${DONE}, 1);
      Atomics.notify(ctl, ${DONE});
    }
  };
  let seen = Atomics.load(ctl, ${GEN});
  while (mine()) {
    work();
    Atomics.wait(ctl, ${GEN}, seen);
    seen = Atomics.load(ctl, ${GEN});
  }
};
`;

interface RuntimeGlobals {
  Worker?: new (url: string, options: { type: 'module' }) => WorkerHandle & { unref?: () => void };
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  navigator?: { hardwareConcurrency?: number };
  Deno?: unknown;
  setTimeout?: (f: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
}

/** Feature-detected web APIs (typed here: the core compiles against ES2022 alone). */
const web = globalThis as unknown as RuntimeGlobals;

let factory: WorkerFactory | null = null;

/** The global Worker as a factory (module workers from a Blob URL), where the runtime has one. */
function globalWorkerFactory(): WorkerFactory | null {
  const W = web.Worker;
  const B = web.Blob;
  const U = web.URL;
  if (W === undefined || B === undefined || U === undefined) return null;
  return {
    create(source) {
      const w = new W(U.createObjectURL(new B([source], { type: 'text/javascript' })), { type: 'module' });
      if (typeof w.unref === 'function') w.unref();
      return w;
    },
    // Bun's workers unref; Deno's keep the process alive until terminated (so an idle pool is
    // stopped there); a browser page has no process to keep alive.
    unrefs: typeof (W.prototype as { unref?: unknown }).unref === 'function' || web.Deno === undefined,
  };
}

/** Installs the way to start workers (camlab/node installs worker_threads). Replaces a running pool. */
export function setWorkerFactory(f: WorkerFactory | null): void {
  factory = f;
  stopPool();
}

function activeFactory(): WorkerFactory | null {
  return factory ?? globalWorkerFactory();
}

/** Cores the runtime reports (1 when it does not say). */
export function availableCores(): number {
  const n = activeFactory()?.cores ?? web.navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

let requested: number | null = null;

/** Sets the number of threads kernels may use (1 = the calling thread only). Default: available cores. */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) fail('setThreads', `thread count must be an integer in [1, 256], got ${String(n)}`);
  requested = n;
  if (pool !== null && pool.size !== n) stopPool();
}

/** The number of threads kernels may use (setThreads, else the available cores). */
export function getThreads(): number {
  return requested ?? availableCores();
}

interface Pool {
  size: number;
  /** This pool's tag in CLAIM (see there). */
  tag: number;
  workers: WorkerHandle[];
  unrefs: boolean;
  idleTimer: unknown;
  rt: WasmRuntime;
}

let pool: Pool | null = null;
let poolTag = 0;
let poolFailure: string | null = null;

/** Idle time after which a pool whose workers keep the process alive (Deno) is stopped. */
const IDLE_MS = 500;

function stopPool(): void {
  if (pool === null) return;
  const ctl = pool.rt.i32();
  Atomics.store(ctl, STOP, 1);
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
  for (const w of pool.workers) w.terminate();
  if (pool.idleTimer !== null) web.clearTimeout?.(pool.idleTimer);
  pool = null;
}

/** Why kernels run on one thread although more were asked for (null when they need not). */
function singleThreadReason(rt: WasmRuntime): string | null {
  if (!rt.shared) return 'no shared WebAssembly memory (SharedArrayBuffer is unavailable; browsers need the page to be cross-origin isolated)';
  if (activeFactory() === null) return "no way to start workers (no global Worker; in Node, import 'camlab/node', which installs worker_threads)";
  return poolFailure;
}

function ensurePool(rt: WasmRuntime, size: number): Pool | null {
  if (pool !== null && pool.size === size && pool.rt === rt) return pool;
  stopPool();
  if (singleThreadReason(rt) !== null) return null;
  const f = activeFactory()!;
  const ctl = rt.i32();
  poolTag = (poolTag + 1) & 0xfff;
  const tag = poolTag;
  Atomics.store(ctl, STOP, 0);
  Atomics.store(ctl, READY, 0);
  Atomics.store(ctl, ERROR, 0);
  Atomics.store(ctl, CLAIM, tag << 20);
  const workers: WorkerHandle[] = [];
  try {
    for (let tid = 1; tid < size; tid++) {
      const w = f.create(WORKER_SOURCE);
      // The compiled module where it can be posted (V8 then shares its code, tiered up once for
      // all threads), else the bytes to compile again.
      try {
        w.postMessage({ module: rt.module, memory: rt.memory, names: rt.names, tid, tag });
      } catch {
        w.postMessage({ bytes: rt.bytes, memory: rt.memory, names: rt.names, tid, tag });
      }
      workers.push(w);
    }
  } catch (e) {
    for (const w of workers) w.terminate();
    poolFailure = `starting workers failed: ${(e as Error).message}`;
    return null;
  }
  pool = { size, workers, unrefs: f.unrefs, idleTimer: null, rt, tag };
  return pool;
}

/**
 * The thread pool: threads asked for, threads working now (workers start with the first kernel
 * call large enough to split), and why kernels cannot use more than one thread here, if so.
 */
export function threadInfo(rt: WasmRuntime | null): { requested: number; active: number; reason: string | null } {
  const req = getThreads();
  if (rt === null) return { requested: req, active: 1, reason: req === 1 ? null : 'the JS kernels run on the calling thread' };
  if (req === 1) return { requested: 1, active: 1, reason: null };
  const why = singleThreadReason(rt);
  if (why !== null) return { requested: req, active: 1, reason: why };
  return { requested: req, active: 1 + (pool === null ? 0 : Atomics.load(rt.i32(), READY)), reason: null };
}

/** A kernel call: the export's name and its arguments (the scratch pointer is appended). */
export interface Job {
  fn: string;
  args: readonly number[];
}

let canWait: boolean | null = null;

/**
 * Runs the jobs, each with its thread's scratch area (scratchBase + tid·scratchStride), on up to
 * `threads` threads. Jobs must write disjoint outputs. Returns when all are done.
 */
export function runJobs(rt: WasmRuntime, jobs: readonly Job[], threads: number, scratchBase: number, scratchStride: number): void {
  const p = threads > 1 && jobs.length > 1 ? ensurePool(rt, threads) : null;
  if (p === null || Atomics.load(rt.i32(), READY) === 0) {
    // No pool, or its workers are still starting: the calling thread does everything.
    for (const j of jobs) rt.fn[j.fn]!(...j.args, scratchBase);
  } else {
    if (jobs.some((j) => j.args.length > RECORD_WORDS - 2)) fail('wasm threads', `a job has more than ${RECORD_WORDS - 2} arguments`);
    // The control block holds MAX_JOBS records: more jobs run as several generations.
    for (let first = 0; first < jobs.length; first += MAX_JOBS) runGeneration(rt, p.tag, jobs.slice(first, first + MAX_JOBS), scratchBase, scratchStride);
  }
  // Where workers keep the process alive (Deno), a pool idle for IDLE_MS is stopped: armed after
  // every call that has a pool, started or not.
  if (p !== null && !p.unrefs) {
    if (p.idleTimer !== null) web.clearTimeout?.(p.idleTimer);
    p.idleTimer = web.setTimeout?.(stopPool, IDLE_MS) ?? null;
  }
}

function runGeneration(rt: WasmRuntime, tag: number, jobs: readonly Job[], scratchBase: number, scratchStride: number): void {
  const ctl = rt.i32();
  jobs.forEach((j, i) => {
    const r = RECORDS + i * RECORD_WORDS;
    ctl[r] = rt.names.indexOf(j.fn);
    ctl[r + 1] = j.args.length;
    for (let k = 0; k < j.args.length; k++) ctl[r + 2 + k] = j.args[k]!;
  });
  ctl[SCRATCH_BASE] = scratchBase;
  ctl[SCRATCH_STRIDE] = scratchStride;
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, CLAIM, (tag << 20) | (jobs.length << 10));
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
  // The calling thread works too (tid 0).
  for (;;) {
    const w = Atomics.load(ctl, CLAIM);
    const j = w & 0x3ff;
    if (j >= ((w >>> 10) & 0x3ff)) break;
    if (Atomics.compareExchange(ctl, CLAIM, w, w + 1) !== w) continue;
    const job = jobs[j]!;
    rt.fn[job.fn]!(...job.args, scratchBase);
    Atomics.add(ctl, DONE, 1);
  }
  waitDone(ctl, jobs.length);
  if (Atomics.load(ctl, ERROR) !== 0) {
    Atomics.store(ctl, ERROR, 0);
    stopPool();
    poolFailure = 'a worker failed while running a kernel';
    fail('wasm threads', 'a worker failed while running a kernel; the pool is stopped and kernels run on the calling thread');
  }
}

function waitDone(ctl: Int32Array, n: number): void {
  let spins = 0;
  for (;;) {
    const d = Atomics.load(ctl, DONE);
    if (d >= n) return;
    if (++spins < 2000) continue;
    if (canWait !== false) {
      try {
        Atomics.wait(ctl, DONE, d, 50);
        canWait = true;
        continue;
      } catch {
        canWait = false; // a browser's main thread may not block; keep spinning
      }
    }
  }
}
