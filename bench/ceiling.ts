/**
 * The machine's WebAssembly SIMD ceiling, measured the way the GEMM kernel computes: a loop of
 * independent f32x4 (or f64x2) multiplies and adds (7 multiply chains and 7 add chains, no fused
 * multiply-add, which 128-bit wasm SIMD does not have), emitted with camlab's own emitter. The
 * GEMM rows' GFLOP/s over this row's is the fraction of peak.
 */
import { webAssembly } from '../src/tensor/wasm/api.js';
import { ctl, f32, f32x4, f64, f64x2, forLoop, i32, ModuleBuilder, v128 } from '../src/tensor/wasm/emit.js';

export const CEILING_CHAINS = 7;
const CHAINS = CEILING_CHAINS;

/** Flops of one loop iteration: a multiply and an add per chain, 4 (f32) or 2 (f64) lanes each. */
export function ceilingFlopsPerIteration(dt: 'f32' | 'f64'): number {
  return 2 * CHAINS * (dt === 'f32' ? 4 : 2);
}

export function simdCeiling(dt: 'f32' | 'f64'): { run: (iterations: number) => void } {
  const V = dt === 'f32' ? f32x4 : f64x2;
  const one = dt === 'f32' ? f32.const(1) : f64.const(1);
  const m = new ModuleBuilder();
  m.func('peak', ['i32'], [], (s, n) => {
    const mul = Array.from({ length: CHAINS }, () => s.local('v128'));
    const acc = Array.from({ length: CHAINS }, () => s.local('v128'));
    const k = s.local('v128');
    const i = s.local('i32');
    return [
      k.set(V.splat(one)),
      ...[...mul, ...acc].map((x) => x.set(k.get)),
      forLoop(i, i32.const(0), n.get, i32.const(1), ...mul.map((x) => x.set(V.mul(x.get, k.get))), ...acc.map((x) => x.set(V.add(x.get, k.get)))),
      // Keep the results alive.
      ...[...mul, ...acc].map((x) => v128.store(i32.const(0), x.get)),
      ctl.drop(i32.const(0)),
    ];
  });
  const wa = webAssembly()!;
  const memory = new wa.Memory({ initial: 1, maximum: 1 });
  const bytes = m.bytes({ module: 'env', name: 'memory', min: 1, max: 1, shared: false });
  const peak = new wa.Instance(new wa.Module(bytes), { env: { memory } }).exports.peak as (n: number) => void;
  return { run: peak };
}
