import { ctl, forLoop, i32, type Code, type Local, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

/**
 * maxpool_<dt>(x, vals, idx, planes, H, W, OH, OW, rh, rw, sh, sw, ph, pw, dh, dw): max pooling
 * as pool.ts's maxPool2d. rh / rw point to the valid tap ranges per output row / column (pairs
 * [lo, hi) of i32, computed by the driver). The scan starts at the window's first real tap; a
 * strictly larger value wins, and the first NaN (so the first maximum in scan order wins ties).
 * idx receives flat indices into x (relative to x's first element).
 */
export function emitMaxPool(m: ModuleBuilder, L: Lanes): void {
  const dt = L.dt;
  m.func(`maxpool_${dt}`, Array<'i32'>(16).fill('i32'), [], (s, x, vals, idx, planes, H, W, OH, OW, rh, rw, sh, sw, ph, pw, dh, dw) => {
    const [plane, oh, ow, base, h0, w0, khLo, khHi, kwLo, kwHi, i, j, row, p, bestIdx, win] = s.i32s(16);
    const best = s.local(dt);
    const v = s.local(dt);
    const at = (e: Local): Code => add(x.get, i32.shl(e.get, c32(L.shift)));
    return forLoop(plane, c32(0), planes.get, c32(1),
      base.set(mul(plane.get, mul(H.get, W.get))),
      forLoop(oh, c32(0), OH.get, c32(1),
        h0.set(i32.sub(mul(oh.get, sh.get), ph.get)),
        khLo.set(i32.load(add(rh.get, i32.shl(oh.get, c32(3))))),
        khHi.set(i32.load(add(rh.get, i32.shl(oh.get, c32(3))), 4)),
        forLoop(ow, c32(0), OW.get, c32(1),
          w0.set(i32.sub(mul(ow.get, sw.get), pw.get)),
          kwLo.set(i32.load(add(rw.get, i32.shl(ow.get, c32(3))))),
          kwHi.set(i32.load(add(rw.get, i32.shl(ow.get, c32(3))), 4)),
          bestIdx.set(add(add(base.get, mul(add(h0.get, mul(khLo.get, dh.get)), W.get)), add(w0.get, mul(kwLo.get, dw.get)))),
          best.set(L.load(at(bestIdx))),
          forLoop(i, khLo.get, khHi.get, c32(1),
            row.set(add(base.get, add(mul(add(h0.get, mul(i.get, dh.get)), W.get), w0.get))),
            forLoop(j, kwLo.get, kwHi.get, c32(1),
              p.set(add(row.get, mul(j.get, dw.get))),
              v.set(L.load(at(p))),
              // Branch-free: with random data a branch here mispredicts every other tap.
              win.set(i32.or(L.gt(v.get, best.get), i32.and(L.ne(v.get, v.get), L.eq(best.get, best.get)))),
              best.set(ctl.select(v.get, best.get, win.get)),
              bestIdx.set(ctl.select(p.get, bestIdx.get, win.get)),
            ),
          ),
          L.store(vals.get, best.get),
          i32.store(idx.get, bestIdx.get),
          vals.set(add(vals.get, c32(L.es))),
          idx.set(add(idx.get, c32(4))),
        ),
      ),
    );
  });
}

