import { f32, f64, f64x2, forLoop, i32, v128, type Code, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

/**
 * sum_<dt>(out, x, outer, r, inner, acc): reduce.ts's sum over the middle axis of x viewed as
 * [outer, r, inner]: per output, a float64 running sum over k = 0 … r−1 in order (float32 values
 * widened exactly), rounded once into out. The inner outputs are independent lanes (f64x2, two
 * at a time); acc is float64 scratch of `inner` elements.
 */
export function emitSum(m: ModuleBuilder, L: Lanes): void {
  const dt = L.dt;
  const es = L.es;
  // Two consecutive elements of x as an f64x2.
  const load2 = (addr: Code): Code => (dt === 'f64' ? v128.load(addr) : f64x2.promote_low_f32x4(v128.load64_zero(addr)));
  const load1 = (addr: Code): Code => (dt === 'f64' ? f64.load(addr) : f64.promote(f32.load(addr)));
  const store1 = (addr: Code, v: Code): Code => (dt === 'f64' ? f64.store(addr, v) : f32.store(addr, f32.demote(v)));
  m.func(`sum_${dt}`, Array<'i32'>(6).fill('i32'), [], (s, out, x, outer, r, inner, acc) => {
    const [o, k, i, src, a, pairs] = s.i32s(6);
    return [
      pairs.set(i32.and(inner.get, c32(~1))),
      forLoop(o, c32(0), outer.get, c32(1),
        forLoop(i, c32(0), inner.get, c32(1), f64.store(add(acc.get, i32.shl(i.get, c32(3))), f64.const(0))),
        forLoop(k, c32(0), r.get, c32(1),
          src.set(add(x.get, i32.shl(mul(add(mul(o.get, r.get), k.get), inner.get), c32(L.shift)))),
          a.set(acc.get),
          forLoop(i, c32(0), pairs.get, c32(2),
            v128.store(a.get, f64x2.add(v128.load(a.get), load2(src.get))),
            a.set(add(a.get, c32(16))),
            src.set(add(src.get, c32(2 * es))),
          ),
          forLoop(i, pairs.get, inner.get, c32(1),
            f64.store(a.get, f64.add(f64.load(a.get), load1(src.get))),
            a.set(add(a.get, c32(8))),
            src.set(add(src.get, c32(es))),
          ),
        ),
        forLoop(i, c32(0), inner.get, c32(1),
          store1(add(out.get, i32.shl(add(mul(o.get, inner.get), i.get), c32(L.shift))), f64.load(add(acc.get, i32.shl(i.get, c32(3))))),
        ),
      ),
    ];
  });
}
