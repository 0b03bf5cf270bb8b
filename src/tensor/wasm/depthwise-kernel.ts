import { ctl, forLoop, i32, v128, type Code, type Local, type ModuleBuilder } from './emit.js';
import type { Lanes } from './gemm-kernel.js';
import { loadGeometry } from './geometry.js';

const add = i32.add;
const sub = i32.sub;
const mul = i32.mul;
const c32 = i32.const;

/**
 * Depthwise convolutions (one input and one output channel per group, KH·KW ≤ KC taps) without
 * the GEMM machinery, in the contract's order (../contract.ts) for that shape:
 * - dwise_fwd: out(c,p) = +0 + Σ taps in (kh, kw) order of w·x (a padded tap adds w·0);
 * - dwise_dx: dx(c,ih,iw) = +0 + Σ, over the taps landing on (ih, iw) in (kh, kw) order, of w·g
 *   (the GEMM over the group's single output channel is that one product);
 * - dwise_dw: dW(c,t) accumulates, image after image and K block after K block of output
 *   positions, s = +0 + Σ g·x (x = 0 in the padding).
 * fwd and dx compute one f32x4 / f64x2 of outputs along a row at a time where every tap of the
 * lanes is inside the image (stride 1); edges and strides go element by element. Arguments:
 * (geo, src, w, dst, c0, c1) for channels [c0, c1) of one image; dw adds (nImg, kcStep, accumulate).
 */
export function emitDepthwise(m: ModuleBuilder, L: Lanes): void {
  const dt = L.dt;
  const lanes = L.lanes;
  const sh = c32(L.shift);
  const V = { splat: L.vsplat, add: L.vadd, mul: L.vmul };
  const at = (base: Local, idx: Code): Code => add(base.get, i32.shl(idx, sh));

  m.func(`dwise_fwd_${dt}`, Array<'i32'>(6).fill('i32'), [], (s, geo, x, w, out, c0, c1) => {
    const G = loadGeometry(s, geo, ['H', 'W', 'KH', 'KW', 'KK', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OH', 'OW', 'HW', 'OHW']);
    const [c, oh, ow, kh, kw, ih, iw, xp, wp, op, vEnd, vStart] = s.i32s(12);
    const acc = s.local(dt);
    const xv = s.local(dt);
    const vacc = s.local('v128');
    const vx = s.local('v128');
    const scalarOut: Code = [
      acc.set(L.zero()),
      forLoop(kh, c32(0), G.KH.get, c32(1),
        ih.set(add(sub(mul(oh.get, G.sh.get), G.ph.get), mul(kh.get, G.dh.get))),
        forLoop(kw, c32(0), G.KW.get, c32(1),
          iw.set(add(sub(mul(ow.get, G.sw.get), G.pw.get), mul(kw.get, G.dw.get))),
          ctl.if(i32.and(i32.lt_u(ih.get, G.H.get), i32.lt_u(iw.get, G.W.get)), xv.set(L.load(at(xp, add(mul(ih.get, G.W.get), iw.get)))), xv.set(L.zero())),
          acc.set(L.add(acc.get, L.mul(L.load(at(wp, add(mul(kh.get, G.KW.get), kw.get))), xv.get))),
        ),
      ),
      L.store(at(op, add(mul(oh.get, G.OW.get), ow.get)), acc.get),
    ];
    // Lanes ow..ow+lanes−1 (stride 1): every tap column ow + j − pw + kw·dw inside [0, W) for ow in [vStart, vEnd).
    const vectorOut: Code = [
      vacc.set(v128.zero()),
      forLoop(kh, c32(0), G.KH.get, c32(1),
        ih.set(add(sub(mul(oh.get, G.sh.get), G.ph.get), mul(kh.get, G.dh.get))),
        forLoop(kw, c32(0), G.KW.get, c32(1),
          iw.set(add(sub(ow.get, G.pw.get), mul(kw.get, G.dw.get))),
          // A tap row in the padding adds w·0 (as the GEMM's zero-filled im2col does).
          ctl.if(i32.lt_u(ih.get, G.H.get), vx.set(v128.load(at(xp, add(mul(ih.get, G.W.get), iw.get)))), vx.set(v128.zero())),
          vacc.set(V.add(vacc.get, V.mul(V.splat(L.load(at(wp, add(mul(kh.get, G.KW.get), kw.get)))), vx.get))),
        ),
      ),
      v128.store(at(op, add(mul(oh.get, G.OW.get), ow.get)), vacc.get),
    ];
    return [
      G.init,
      // Output columns whose every tap is inside the row: ow − pw ≥ 0 and ow + lanes − 1 − pw + (KW−1)·dw < W.
      vStart.set(G.pw.get),
      vEnd.set(sub(sub(G.W.get, mul(sub(G.KW.get, c32(1)), G.dw.get)), sub(c32(lanes - 1), G.pw.get))),
      forLoop(c, c0.get, c1.get, c32(1),
        xp.set(at(x, mul(c.get, G.HW.get))),
        wp.set(at(w, mul(c.get, G.KK.get))),
        op.set(at(out, mul(c.get, G.OHW.get))),
        forLoop(oh, c32(0), G.OH.get, c32(1),
          ow.set(c32(0)),
          ctl.if(i32.lt_s(ow.get, G.OW.get), ctl.loop(
            ctl.if(i32.and(i32.eq(G.sw.get, c32(1)), i32.and(i32.ge_s(ow.get, vStart.get), i32.and(i32.lt_s(ow.get, vEnd.get), i32.le_s(add(ow.get, c32(lanes)), G.OW.get)))),
              [vectorOut, ow.set(add(ow.get, c32(lanes)))],
              [scalarOut, ow.set(add(ow.get, c32(1)))],
            ),
            ctl.br_if(0, i32.lt_s(ow.get, G.OW.get)),
          )),
        ),
      ),
    ];
  });

  m.func(`dwise_dx_${dt}`, Array<'i32'>(6).fill('i32'), [], (s, geo, gy, w, dx, c0, c1) => {
    const G = loadGeometry(s, geo, ['H', 'W', 'KH', 'KW', 'KK', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OH', 'OW', 'HW', 'OHW']);
    const [c, ih, iw, kh, kw, oh, ow, nh, nw, gp, wp, dp, vStart, vEnd] = s.i32s(14);
    const acc = s.local(dt);
    const vacc = s.local('v128');
    // Tap (kh, kw) lands on (ih, iw) from output (oh, ow) = ((ih + ph − kh·dh)/sh, (iw + pw − kw·dw)/sw) when exact and inside.
    const scalarIn: Code = [
      acc.set(L.zero()),
      forLoop(kh, c32(0), G.KH.get, c32(1),
        nh.set(sub(add(ih.get, G.ph.get), mul(kh.get, G.dh.get))),
        oh.set(i32.div_s(nh.get, G.sh.get)),
        ctl.if(i32.and(i32.and(i32.ge_s(nh.get, c32(0)), i32.eqz(i32.rem_s(nh.get, G.sh.get))), i32.lt_s(oh.get, G.OH.get)),
          forLoop(kw, c32(0), G.KW.get, c32(1),
            nw.set(sub(add(iw.get, G.pw.get), mul(kw.get, G.dw.get))),
            ow.set(i32.div_s(nw.get, G.sw.get)),
            ctl.if(i32.and(i32.and(i32.ge_s(nw.get, c32(0)), i32.eqz(i32.rem_s(nw.get, G.sw.get))), i32.lt_s(ow.get, G.OW.get)),
              acc.set(L.add(acc.get, L.mul(L.load(at(wp, add(mul(kh.get, G.KW.get), kw.get))), L.load(at(gp, add(mul(oh.get, G.OW.get), ow.get)))))),
            ),
          ),
        ),
      ),
      L.store(at(dp, add(mul(ih.get, G.W.get), iw.get)), acc.get),
    ];
    // Stride 1: lanes iw..iw+lanes−1 read g columns iw + pw − kw·dw + j, all inside [0, OW) for iw in [vStart, vEnd).
    const vectorIn: Code = [
      vacc.set(v128.zero()),
      forLoop(kh, c32(0), G.KH.get, c32(1),
        oh.set(sub(add(ih.get, G.ph.get), mul(kh.get, G.dh.get))),
        ctl.if(i32.lt_u(oh.get, G.OH.get),
          forLoop(kw, c32(0), G.KW.get, c32(1),
            ow.set(sub(add(iw.get, G.pw.get), mul(kw.get, G.dw.get))),
            vacc.set(V.add(vacc.get, V.mul(V.splat(L.load(at(wp, add(mul(kh.get, G.KW.get), kw.get)))), v128.load(at(gp, add(mul(oh.get, G.OW.get), ow.get)))))),
          ),
        ),
      ),
      v128.store(at(dp, add(mul(ih.get, G.W.get), iw.get)), vacc.get),
    ];
    return [
      G.init,
      // iw + pw − (KW−1)·dw ≥ 0 and iw + lanes − 1 + pw < OW.
      vStart.set(sub(mul(sub(G.KW.get, c32(1)), G.dw.get), G.pw.get)),
      vEnd.set(sub(sub(G.OW.get, G.pw.get), c32(lanes - 1))),
      forLoop(c, c0.get, c1.get, c32(1),
        gp.set(at(gy, mul(c.get, G.OHW.get))),
        wp.set(at(w, mul(c.get, G.KK.get))),
        dp.set(at(dx, mul(c.get, G.HW.get))),
        forLoop(ih, c32(0), G.H.get, c32(1),
          iw.set(c32(0)),
          ctl.if(i32.lt_s(iw.get, G.W.get), ctl.loop(
            ctl.if(i32.and(i32.and(i32.eq(G.sw.get, c32(1)), i32.eq(G.sh.get, c32(1))), i32.and(i32.ge_s(iw.get, vStart.get), i32.and(i32.lt_s(iw.get, vEnd.get), i32.le_s(add(iw.get, c32(lanes)), G.W.get)))),
              [vectorIn, iw.set(add(iw.get, c32(lanes)))],
              [scalarIn, iw.set(add(iw.get, c32(1)))],
            ),
            ctl.br_if(0, i32.lt_s(iw.get, G.W.get)),
          )),
        ),
      ),
    ];
  });

  m.func(`dwise_dw_${dt}`, Array<'i32'>(9).fill('i32'), [], (s, geo, x, gy, dw, c0, c1, nImg, kcStep, accumulate) => {
    const G = loadGeometry(s, geo, ['C', 'H', 'W', 'KH', 'KW', 'KK', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OW', 'HW', 'OHW']);
    const [c, n, kh, kw, pc, pEnd, p, oh, ow, ih, iw, xp, gp, dp, first] = s.i32s(15);
    const sum = s.local(dt);
    const xv = s.local(dt);
    return [
      G.init,
      forLoop(c, c0.get, c1.get, c32(1),
        dp.set(at(dw, mul(c.get, G.KK.get))),
        forLoop(kh, c32(0), G.KH.get, c32(1),
          forLoop(kw, c32(0), G.KW.get, c32(1),
            first.set(i32.eqz(accumulate.get)),
            forLoop(n, c32(0), nImg.get, c32(1),
              xp.set(at(x, mul(add(mul(n.get, G.C.get), c.get), G.HW.get))),
              gp.set(at(gy, mul(add(mul(n.get, G.C.get), c.get), G.OHW.get))),
              forLoop(pc, c32(0), G.OHW.get, kcStep.get,
                pEnd.set(add(pc.get, kcStep.get)),
                ctl.if(i32.gt_s(pEnd.get, G.OHW.get), pEnd.set(G.OHW.get)),
                sum.set(L.zero()),
                oh.set(i32.div_u(pc.get, G.OW.get)),
                ow.set(sub(pc.get, mul(oh.get, G.OW.get))),
                forLoop(p, pc.get, pEnd.get, c32(1),
                  ih.set(add(sub(mul(oh.get, G.sh.get), G.ph.get), mul(kh.get, G.dh.get))),
                  iw.set(add(sub(mul(ow.get, G.sw.get), G.pw.get), mul(kw.get, G.dw.get))),
                  ctl.if(i32.and(i32.lt_u(ih.get, G.H.get), i32.lt_u(iw.get, G.W.get)), xv.set(L.load(at(xp, add(mul(ih.get, G.W.get), iw.get)))), xv.set(L.zero())),
                  sum.set(L.add(sum.get, L.mul(L.load(at(gp, p.get)), xv.get))),
                  ow.set(add(ow.get, c32(1))),
                  ctl.if(i32.eq(ow.get, G.OW.get), [ow.set(c32(0)), oh.set(add(oh.get, c32(1)))]),
                ),
                ctl.if(first.get,
                  L.store(at(dp, add(mul(kh.get, G.KW.get), kw.get)), sum.get),
                  L.store(at(dp, add(mul(kh.get, G.KW.get), kw.get)), L.add(L.load(at(dp, add(mul(kh.get, G.KW.get), kw.get))), sum.get)),
                ),
                first.set(c32(0)),
              ),
            ),
          ),
        ),
      ),
    ];
  });
}
