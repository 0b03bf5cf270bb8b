import { fail } from '../errors.js';
import { webAssembly, wasmUnavailableReason, type WasmMemory } from './api.js';
import { kernelModuleBytes } from './module.js';

/** Bytes at the start of memory reserved for the thread pool's control block (see threads.ts). */
export const CONTROL_BYTES = 1 << 16;

const PAGE = 1 << 16;
/** Largest memory camlab asks for (2 GiB; 512 MiB where that cannot be reserved); drivers split batches so one call fits. */
export const MAX_PAGES = 32768;
const INITIAL_PAGES = 64;

export type KernelFn = (...args: number[]) => void;

/** The instantiated kernel module: its memory, its exports by name, and typed views of the memory. */
export interface WasmRuntime {
  readonly memory: WasmMemory;
  /** True when the memory is a SharedArrayBuffer, so workers can share it. */
  readonly shared: boolean;
  /** The module bytes (workers instantiate the same module on the same memory). */
  readonly bytes: Uint8Array;
  /** The compiled module (posted to workers where the runtime can: they then share its code). */
  readonly module: object;
  readonly fn: Readonly<Record<string, KernelFn>>;
  /** Export names in index order (jobs name their function by index). */
  readonly names: readonly string[];
  /** Grows the memory to at least `bytes` (fails with a one-line error past its maximum). */
  ensure(bytes: number): void;
  /** Whether the memory can grow to `bytes` (drivers leave larger calls to the JS kernels). */
  fits(bytes: number): boolean;
  f32(): Float32Array;
  f64(): Float64Array;
  i32(): Int32Array;
}

let runtime: WasmRuntime | null = null;
let failure: string | null = null;

/**
 * The kernel module, compiled and instantiated on first use (synchronously: the web page computes
 * in a Worker, where synchronous compilation of any size is allowed). Returns null, with the
 * reason in `wasmFailure()`, where it cannot be built.
 */
export function wasmRuntime(): WasmRuntime | null {
  if (runtime !== null || failure !== null) return runtime;
  const why = wasmUnavailableReason();
  if (why !== null) {
    failure = why;
    return null;
  }
  try {
    runtime = instantiate();
  } catch (e) {
    failure = `the wasm kernels could not be instantiated: ${(e as Error).message}`;
  }
  return runtime;
}

/** Why wasmRuntime() returned null (null while it has not failed). */
export function wasmFailure(): string | null {
  return failure;
}

function instantiate(): WasmRuntime {
  const wa = webAssembly()!;
  // Shared memory needs SharedArrayBuffer (browsers: cross-origin isolation); else a plain one.
  // A runtime that cannot reserve the largest memory gets a smaller one.
  let memory: WasmMemory | null = null;
  let shared = false;
  let maxPages = MAX_PAGES;
  for (const [want, pages] of [[true, MAX_PAGES], [false, MAX_PAGES], [false, MAX_PAGES / 4]] as const) {
    try {
      memory = new wa.Memory({ initial: INITIAL_PAGES, maximum: pages, ...(want ? { shared: true } : {}) });
      shared = want && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      maxPages = pages;
      break;
    } catch {
      // try the next
    }
  }
  if (memory === null) throw new Error(`no WebAssembly.Memory of ${MAX_PAGES / 4} pages could be made`);
  const bytes = kernelModuleBytes({ min: INITIAL_PAGES, max: maxPages, shared });
  const module = new wa.Module(bytes);
  const instance = new wa.Instance(module, { env: { memory } });
  const fn: Record<string, KernelFn> = {};
  const names: string[] = [];
  for (const [name, f] of Object.entries(instance.exports)) {
    if (typeof f === 'function') {
      fn[name] = f as KernelFn;
      names.push(name);
    }
  }
  const mem = memory;
  let buffer = mem.buffer;
  let v32 = new Float32Array(buffer);
  let v64 = new Float64Array(buffer);
  let vi = new Int32Array(buffer);
  const refresh = (): void => {
    if (mem.buffer === buffer) return;
    buffer = mem.buffer;
    v32 = new Float32Array(buffer);
    v64 = new Float64Array(buffer);
    vi = new Int32Array(buffer);
  };
  return {
    memory: mem,
    shared,
    bytes,
    module,
    fn,
    names,
    ensure(n: number): void {
      const pages = Math.ceil(n / PAGE);
      const have = mem.buffer.byteLength / PAGE;
      if (pages > have) {
        if (pages > maxPages) fail('wasm backend', `one kernel call needs ${n} bytes, more than the ${maxPages * PAGE}-byte memory limit`);
        // Grow with headroom, so a sequence of growing calls does not grow on every call.
        mem.grow(Math.min(maxPages, Math.max(pages, Math.ceil(have * 1.25))) - have);
      }
      refresh();
    },
    fits: (n: number): boolean => Math.ceil(n / PAGE) <= maxPages,
    f32: () => (refresh(), v32),
    f64: () => (refresh(), v64),
    i32: () => (refresh(), vi),
  };
}

/**
 * Lays out one kernel call's buffers in memory after the control block: inputs, outputs and the
 * per-thread scratch. Offsets are bytes, 64-byte aligned, with 64 bytes of slack after every
 * buffer (the vector loads of a row may read up to a v128 past its last element).
 */
export class Arena {
  private top = CONTROL_BYTES;

  alloc(bytes: number): number {
    const p = this.top;
    this.top = Math.ceil((p + bytes + 64) / 64) * 64;
    return p;
  }

  get size(): number {
    return this.top;
  }
}
