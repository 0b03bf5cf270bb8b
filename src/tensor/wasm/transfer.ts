import type { FloatArray } from '../dtype.js';
import type { WasmDType } from './gemm-kernel.js';
import { wasmRuntime, type WasmRuntime } from './runtime.js';
import { getThreads } from './threads.js';

// What every wasm driver does around a kernel call: copy operands into the kernels' memory and
// results out, decide how many threads a call gets, and cut ranges into jobs.

/** Work (multiply-adds) below which a call stays on the calling thread: hand-off costs ~10-20 µs. */
const PARALLEL_MIN_MACS = 1 << 19;

/** The instantiated kernels (the backend only routes here when they exist). */
export function rt(): WasmRuntime {
  return wasmRuntime()!;
}

/** Copies src[lo, lo + n) into memory at byte p as dtype dt (float32 → float64 widens exactly). */
export function put(r: WasmRuntime, dt: WasmDType, p: number, src: FloatArray, lo = 0, n = src.length - lo): void {
  const part = lo === 0 && n === src.length ? src : src.subarray(lo, lo + n);
  if (dt === 'f32') r.f32().set(part, p >> 2);
  else r.f64().set(part, p >> 3);
}

/** Copies n elements at byte p (dtype dt) into dst[off, off + n). */
export function get(r: WasmRuntime, dt: WasmDType, p: number, dst: FloatArray, off = 0, n = dst.length - off): void {
  const view = dt === 'f32' ? r.f32().subarray(p >> 2, (p >> 2) + n) : r.f64().subarray(p >> 3, (p >> 3) + n);
  dst.set(view, off);
}

export function zero(r: WasmRuntime, dt: WasmDType, p: number, n: number): void {
  if (dt === 'f32') r.f32().fill(0, p >> 2, (p >> 2) + n);
  else r.f64().fill(0, p >> 3, (p >> 3) + n);
}

/** Threads for a call of `macs` multiply-adds (1 below the hand-off threshold). */
export function threadsFor(macs: number): number {
  return macs >= PARALLEL_MIN_MACS ? getThreads() : 1;
}

/** Splits [0, n) into at most `parts` ranges whose starts are multiples of `align`. */
export function split(n: number, parts: number, align: number): [number, number][] {
  const units = Math.ceil(n / align);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const a = Math.min(n, Math.floor((units * i) / p) * align);
    const b = Math.min(n, Math.floor((units * (i + 1)) / p) * align);
    if (b > a) out.push([a, b]);
  }
  return out;
}
