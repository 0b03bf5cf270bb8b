import { ctl, f32x4, forLoop, i32, i32x4, shuffle, v128, type Code, type FunctionScope, type Local, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';

const add = i32.add;
const mul = i32.mul;
const c32 = i32.const;

/** Bytes of lanes 0 and 2 of two f32x4 vectors: the even elements of 8 consecutive floats. */
const EVENS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];

/**
 * maxpool_<dt>(x, vals, idx, planes, H, W, OH, OW, rh, rw, KW, sh, sw, ph, pw, dh, dw): max
 * pooling as pool.ts's maxPool2d. rh / rw point to the valid tap ranges per output row / column
 * (pairs [lo, hi) of i32, computed by the driver). Each window's scan starts at its first real
 * tap; a strictly larger value wins, and the first NaN (so the first maximum in scan order wins
 * ties), branch-free (with random data a branch mispredicts every other tap). idx receives flat
 * indices into x. float32 windows of stride 1 or 2 (no dilation) whose taps are all inside the
 * row are computed four outputs at a time (one f32x4 per tap, the same comparisons per lane).
 */
export function emitMaxPool(m: ModuleBuilder, L: Lanes): void {
  const dt = L.dt;
  m.func(`maxpool_${dt}`, Array<'i32'>(17).fill('i32'), [], (s, x, vals, idx, planes, H, W, OH, OW, rh, rw, KW, sh, sw, ph, pw, dh, dw) => {
    const [plane, oh, ow, base, h0, w0, khLo, khHi, kwLo, kwHi, i, j, row, p, bestIdx, win, vecOk] = s.i32s(17);
    const best = s.local(dt);
    const v = s.local(dt);
    const vb = s.local('v128');
    const vv = s.local('v128');
    const vi = s.local('v128');
    const vbi = s.local('v128');
    const vwin = s.local('v128');
    const laneOff = s.local('v128');
    const at = (e: Local): Code => add(x.get, i32.shl(e.get, c32(L.shift)));
    const tapsOf = (r: Local, o: Code, lo: Local, hi: Local): Code[] => [
      lo.set(i32.load(add(r.get, i32.shl(o, c32(3))))),
      hi.set(i32.load(add(r.get, i32.shl(o, c32(3))), 4)),
    ];
    const scalar: Code[] = [
      w0.set(i32.sub(mul(ow.get, sw.get), pw.get)),
      ...tapsOf(rw, ow.get, kwLo, kwHi),
      bestIdx.set(add(add(base.get, mul(add(h0.get, mul(khLo.get, dh.get)), W.get)), add(w0.get, mul(kwLo.get, dw.get)))),
      best.set(L.load(at(bestIdx))),
      forLoop(i, khLo.get, khHi.get, c32(1),
        row.set(add(base.get, add(mul(add(h0.get, mul(i.get, dh.get)), W.get), w0.get))),
        forLoop(j, kwLo.get, kwHi.get, c32(1),
          p.set(add(row.get, mul(j.get, dw.get))),
          v.set(L.load(at(p))),
          win.set(i32.or(L.gt(v.get, best.get), i32.and(L.ne(v.get, v.get), L.eq(best.get, best.get)))),
          best.set(ctl.select(v.get, best.get, win.get)),
          bestIdx.set(ctl.select(p.get, bestIdx.get, win.get)),
        ),
      ),
      L.store(vals.get, best.get),
      i32.store(idx.get, bestIdx.get),
      vals.set(add(vals.get, c32(L.es))),
      idx.set(add(idx.get, c32(4))),
      ow.set(add(ow.get, c32(1))),
    ];
    // Four outputs: lane k is output ow + k, its tap j at column w0 + k·sw + j. With stride 2 the
    // load of 8 floats may read one float past the row (the driver's buffers have slack).
    const load4 = (e: Local): Code => ctl.if(i32.eq(sw.get, c32(1)), vv.set(v128.load(at(e))), vv.set(shuffle(v128.load(at(e)), v128.load(at(e), 16), EVENS)));
    const vector: Code[] = [
      w0.set(i32.sub(mul(ow.get, sw.get), pw.get)),
      p.set(add(add(base.get, mul(add(h0.get, mul(khLo.get, dh.get)), W.get)), w0.get)),
      load4(p),
      vb.set(vv.get),
      vbi.set(i32x4.add(i32x4.splat(p.get), laneOff.get)),
      forLoop(i, khLo.get, khHi.get, c32(1),
        row.set(add(base.get, add(mul(add(h0.get, mul(i.get, dh.get)), W.get), w0.get))),
        forLoop(j, c32(0), KW.get, c32(1),
          p.set(add(row.get, j.get)),
          load4(p),
          vi.set(i32x4.add(i32x4.splat(p.get), laneOff.get)),
          vwin.set(v128.or(f32x4.gt(vv.get, vb.get), v128.and(f32x4.ne(vv.get, vv.get), f32x4.eq(vb.get, vb.get)))),
          vb.set(v128.bitselect(vv.get, vb.get, vwin.get)),
          vbi.set(v128.bitselect(vi.get, vbi.get, vwin.get)),
        ),
      ),
      v128.store(vals.get, vb.get),
      v128.store(idx.get, vbi.get),
      vals.set(add(vals.get, c32(16))),
      idx.set(add(idx.get, c32(16))),
      ow.set(add(ow.get, c32(4))),
    ];
    // Lanes k·sw, and whether the vector path can run at all (float32, stride 1 or 2, no dilation).
    const setup: Code[] =
      dt === 'f32'
        ? [
          vecOk.set(i32.and(i32.eq(dw.get, c32(1)), i32.or(i32.eq(sw.get, c32(1)), i32.eq(sw.get, c32(2))))),
          ctl.if(i32.eq(sw.get, c32(1)), laneOff.set(i32x4.const([0, 1, 2, 3])), laneOff.set(i32x4.const([0, 2, 4, 6]))),
        ]
        : [vecOk.set(c32(0))];
    // Outputs ow .. ow + 3 have all KW taps inside the row (the ranges are monotone, so the ends suffice).
    const fourFit = (): Code =>
      i32.and(
        i32.and(vecOk.get, i32.le_s(add(ow.get, c32(4)), OW.get)),
        i32.and(
          i32.and(i32.eqz(i32.load(add(rw.get, i32.shl(ow.get, c32(3))))), i32.eq(i32.load(add(rw.get, i32.shl(add(ow.get, c32(3)), c32(3))), 4), KW.get)),
          i32.ge_s(i32.sub(mul(ow.get, sw.get), pw.get), c32(0)),
        ),
      );
    return [
      setup,
      forLoop(plane, c32(0), planes.get, c32(1),
        base.set(mul(plane.get, mul(H.get, W.get))),
        forLoop(oh, c32(0), OH.get, c32(1),
          h0.set(i32.sub(mul(oh.get, sh.get), ph.get)),
          ...tapsOf(rh, oh.get, khLo, khHi),
          ow.set(c32(0)),
          ctl.if(i32.lt_s(ow.get, OW.get), ctl.loop(ctl.if(fourFit(), vector, scalar), ctl.br_if(0, i32.lt_s(ow.get, OW.get)))),
        ),
      ),
    ];
  });
}

/**
 * gather_<dt>(out, x, idx, n, limit) → -1, or the first position whose index is outside [0, limit):
 * out[i] = x[idx[i]] (indexing.ts's gather; the caller reports a bad index).
 * scatter_add_<dt>(out, g, idx, n, limit) → the same check, then out[idx[i]] += g[i] for i ascending
 * (indexing.ts's scatterAdd; out zero-filled by the caller).
 */
export function emitGatherScatter(m: ModuleBuilder, L: Lanes): void {
  const checked = (s: FunctionScope, idx: Local, n: Local, limit: Local, body: (k: Local, i: Local) => Code): Code => {
    const [i, k] = s.i32s(2);
    return [
      forLoop(i, c32(0), n.get, c32(1),
        k.set(i32.load(add(idx.get, i32.shl(i.get, c32(2))))),
        ctl.if(i32.ge_u(k.get, limit.get), [i.get, ctl.return()]),
        body(k, i),
      ),
      c32(-1),
    ];
  };
  m.func(`gather_${L.dt}`, ['i32', 'i32', 'i32', 'i32', 'i32'], ['i32'], (s, out, x, idx, n, limit) =>
    checked(s, idx, n, limit, (k, i) => L.store(add(out.get, i32.shl(i.get, c32(L.shift))), L.load(add(x.get, i32.shl(k.get, c32(L.shift)))))),
  );
  m.func(`scatter_add_${L.dt}`, ['i32', 'i32', 'i32', 'i32', 'i32'], ['i32'], (s, out, g, idx, n, limit) => {
    const d = s.local('i32');
    return checked(s, idx, n, limit, (k, i) => [
      d.set(add(out.get, i32.shl(k.get, c32(L.shift)))),
      L.store(d.get, L.add(L.load(d.get), L.load(add(g.get, i32.shl(i.get, c32(L.shift)))))),
    ]);
  });
}
