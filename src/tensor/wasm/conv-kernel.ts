import { ctl, forLoop, i32, shuffle, v128, whileLoop, type Code, type FunctionScope, type ModuleBuilder } from './emit.js';
import { maxI, minI, type GemmFunctions, type Lanes } from './gemm-kernel.js';
import { loadGeometry } from './geometry.js';

const add = i32.add;
const sub = i32.sub;
const mul = i32.mul;
const c32 = i32.const;

/**
 * The three convolution kernels of one dtype, as implicit GEMMs on the packed blocks of
 * gemm-kernel.ts (the im2col matrix is never materialized: its blocks are packed straight from
 * the image). Summation orders are the contract's (../contract.ts):
 * - conv_fwd: out(o,p) = Σ_k W(o,k)·col(k,p) over k = (c,kh,kw) in K blocks of kcStep;
 * - conv_dx: for each tap, dcol = Σ_o W(o,c,tap)·g(o,p) (its K blocks summed in a tile buffer),
 *   then scattered into dx tap after tap in (kh, kw) order;
 * - conv_dw: dW(o,k) accumulates Σ_p g(o,p)·col(k,p) block after block, image after image.
 * Pointers are bytes; `scratch` is the calling thread's scratch area and the *Off arguments are
 * offsets into it laid out by the driver (wasm/conv-driver.ts).
 */
export function emitConvKernels(m: ModuleBuilder, L: Lanes, g: GemmFunctions, suffix: string): void {
  const es = L.es;
  const { MR, MC, NC } = g.tile;
  const NR = g.NR;
  const NV = g.tile.NV;

  /** Per NR-panel of positions [p0, p0 + n): (oh, ow) of its first position and whether all NR lie in that output row. */
  const panelTable = m.func(null, ['i32', 'i32', 'i32', 'i32'], [], (s, OW, p0, n, tab) => {
    const q = s.local('i32');
    const p = s.local('i32');
    const oh = s.local('i32');
    const ow = s.local('i32');
    const t = s.local('i32');
    return [
      t.set(tab.get),
      forLoop(q, c32(0), n.get, c32(NR),
        p.set(add(p0.get, q.get)),
        oh.set(i32.div_u(p.get, OW.get)),
        ow.set(sub(p.get, mul(oh.get, OW.get))),
        i32.store(t.get, oh.get, 0),
        i32.store(t.get, ow.get, 4),
        i32.store(t.get, i32.and(i32.le_s(add(q.get, c32(NR)), n.get), i32.le_s(add(ow.get, c32(NR)), OW.get)), 8),
        t.set(add(t.get, c32(12))),
      ),
    ];
  });

  /** Stores v (an element expression) or zero at dst depending on cond, without evaluating v when cond is false. */
  const storeOrZero = (dst: Code, cond: Code, v: Code): Code => ctl.if(cond, L.store(dst, v), L.store(dst, L.zero()));

  // packIm2col(geo, x, k0, kc, p0, nc, dst, tab): dst[(q·kc + kk)·NR + j] = col(k0 + kk, p0 + q·NR + j),
  // col(k, p) = x[c, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw] (0 outside the image or past nc).
  const packIm2col = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, geo, x, k0, kc, p0, nc, dst, tab) => {
    const G = loadGeometry(s, geo, ['H', 'W', 'KH', 'KW', 'KK', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OW', 'HW']);
    const [c, kh, kw, kk, q, j, plane, ihb, iwb, d, t, ih, iw0, o2, w2, src, ih2, iw2] = s.i32s(18);
    const [e, jEnd, len, segEnd, ca, cb, loK, hiK] = s.i32s(8);
    const rowFast: Code[] = [];
    for (let v = 0; v < NV; v++) rowFast.push(v128.store(d.get, v128.load(src.get, v * 16), v * 16));
    // Stride 2: the even elements of 2·NR consecutive ones (lanes 0, 2 of f32x4 pairs; lane 0 of f64x2 pairs).
    const evens = L.lanes === 4 ? [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27] : [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
    const rowFast2: Code[] = [];
    for (let v = 0; v < NV; v++) rowFast2.push(v128.store(d.get, shuffle(v128.load(src.get, 32 * v), v128.load(src.get, 32 * v + 16), evens), v * 16));
    const zeros: Code[] = [];
    for (let v = 0; v < NV; v++) zeros.push(v128.store(d.get, v128.zero(), v * 16));
    const elem = (dstAt: Code, ihE: Code, iwE: Code): Code =>
      storeOrZero(dstAt, i32.and(i32.lt_u(ihE, G.H.get), i32.lt_u(iwE, G.W.get)), L.load(add(plane.get, i32.shl(add(mul(ihE, G.W.get), iwE), c32(L.shift)))));
    return [
      G.init,
      ctl.call(panelTable, G.OW.get, p0.get, nc.get, tab.get),
      c.set(i32.div_u(k0.get, G.KK.get)),
      kh.set(sub(k0.get, mul(c.get, G.KK.get))),
      kw.set(sub(kh.get, mul(i32.div_u(kh.get, G.KW.get), G.KW.get))),
      kh.set(i32.div_u(kh.get, G.KW.get)),
      forLoop(kk, c32(0), kc.get, c32(1),
        plane.set(add(x.get, i32.shl(mul(c.get, G.HW.get), c32(L.shift)))),
        ihb.set(sub(mul(kh.get, G.dh.get), G.ph.get)),
        iwb.set(sub(mul(kw.get, G.dw.get), G.pw.get)),
        // Output columns whose input column ow·sw + iwb lies in [0, W): [loK, hiK).
        loK.set(c32(0)),
        ctl.if(i32.lt_s(iwb.get, c32(0)), loK.set(i32.div_u(add(sub(c32(0), iwb.get), sub(G.sw.get, c32(1))), G.sw.get))),
        hiK.set(c32(0)),
        ctl.if(i32.gt_s(G.W.get, iwb.get), hiK.set(add(i32.div_u(sub(sub(G.W.get, c32(1)), iwb.get), G.sw.get), c32(1)))),
        d.set(add(dst.get, mul(kk.get, c32(NR * es)))),
        t.set(tab.get),
        forLoop(q, c32(0), nc.get, c32(NR),
          ih.set(add(mul(i32.load(t.get, 0), G.sh.get), ihb.get)),
          iw0.set(add(mul(i32.load(t.get, 4), G.sw.get), iwb.get)),
          ctl.if(i32.load(t.get, 8),
            // The panel lies in one output row.
            ctl.if(i32.lt_u(ih.get, G.H.get),
              ctl.if(i32.and(i32.eq(G.sw.get, c32(1)), i32.and(i32.ge_s(iw0.get, c32(0)), i32.le_s(add(iw0.get, c32(NR)), G.W.get))),
                [src.set(add(plane.get, i32.shl(add(mul(ih.get, G.W.get), iw0.get), c32(L.shift)))), rowFast],
                // (the loads of stride 2 read one element past the last used one: the row's next, or the buffer's slack)
                ctl.if(i32.and(i32.eq(G.sw.get, c32(2)), i32.and(i32.ge_s(iw0.get, c32(0)), i32.le_s(add(iw0.get, c32(2 * NR - 1)), G.W.get))),
                  [src.set(add(plane.get, i32.shl(add(mul(ih.get, G.W.get), iw0.get), c32(L.shift)))), rowFast2],
                  forLoop(j, c32(0), c32(NR), c32(1),
                    iw2.set(add(iw0.get, mul(j.get, G.sw.get))),
                    elem(add(d.get, i32.shl(j.get, c32(L.shift))), ih.get, iw2.get),
                  ),
                ),
              ),
              zeros,
            ),
            // The panel wraps to the next row(s) or runs past nc: row segment by row segment, each
            // zeros / a copy of the valid columns [loK, hiK) / zeros, then zeros past nc.
            [
              o2.set(i32.load(t.get, 0)),
              w2.set(i32.load(t.get, 4)),
              e.set(d.get),
              jEnd.set(minI(s, c32(NR), sub(nc.get, q.get))),
              j.set(c32(0)),
              ctl.if(i32.lt_s(j.get, jEnd.get), ctl.loop(
                len.set(minI(s, sub(jEnd.get, j.get), sub(G.OW.get, w2.get))),
                segEnd.set(add(w2.get, len.get)),
                ih2.set(add(mul(o2.get, G.sh.get), ihb.get)),
                ctl.if(i32.lt_u(ih2.get, G.H.get),
                  [
                    ca.set(maxI(s, w2.get, minI(s, loK.get, segEnd.get))),
                    cb.set(maxI(s, ca.get, minI(s, hiK.get, segEnd.get))),
                    forLoop(iw2, w2.get, ca.get, c32(1), L.store(e.get, L.zero()), e.set(add(e.get, c32(es)))),
                    src.set(add(plane.get, i32.shl(add(mul(ih2.get, G.W.get), add(mul(ca.get, G.sw.get), iwb.get)), c32(L.shift)))),
                    // Stride 1: the run is contiguous in the image too, a vector at a time while one fits.
                    iw2.set(ca.get),
                    ctl.if(i32.eq(G.sw.get, c32(1)),
                      whileLoop(i32.le_s(add(iw2.get, c32(L.lanes)), cb.get),
                        v128.store(e.get, v128.load(src.get)),
                        e.set(add(e.get, c32(16))),
                        src.set(add(src.get, c32(16))),
                        iw2.set(add(iw2.get, c32(L.lanes))),
                      ),
                    ),
                    whileLoop(i32.lt_s(iw2.get, cb.get), L.store(e.get, L.load(src.get)), e.set(add(e.get, c32(es))), src.set(add(src.get, i32.shl(G.sw.get, c32(L.shift)))), iw2.set(add(iw2.get, c32(1)))),
                    forLoop(iw2, cb.get, segEnd.get, c32(1), L.store(e.get, L.zero()), e.set(add(e.get, c32(es)))),
                  ],
                  forLoop(iw2, w2.get, segEnd.get, c32(1), L.store(e.get, L.zero()), e.set(add(e.get, c32(es)))),
                ),
                j.set(add(j.get, len.get)),
                w2.set(c32(0)),
                o2.set(add(o2.get, c32(1))),
                ctl.br_if(0, i32.lt_s(j.get, jEnd.get)),
              )),
              forLoop(j, jEnd.get, c32(NR), c32(1), L.store(e.get, L.zero()), e.set(add(e.get, c32(es)))),
            ],
          ),
          d.set(add(d.get, mul(kc.get, c32(NR * es)))),
          t.set(add(t.get, c32(12))),
        ),
        // Next k = (c, kh, kw).
        kw.set(add(kw.get, c32(1))),
        ctl.if(i32.eq(kw.get, G.KW.get), [
          kw.set(c32(0)),
          kh.set(add(kh.get, c32(1))),
          ctl.if(i32.eq(kh.get, G.KH.get), [kh.set(c32(0)), c.set(add(c.get, c32(1)))]),
        ]),
      ),
    ];
  });

  // conv_fwd(geo, x, w, out, o0, o1, p0, p1, kcStep, aOff, bOff, tOff, tabOff, scratch): output
  // channels [o0, o1) × positions [p0, p1) of one image and group (x, w, out at that image/group).
  m.func(`conv_fwd_${suffix}`, Array<'i32'>(14).fill('i32'), [], (s, geo, x, w, out, o0, o1, p0, p1, kcStep, aOff, bOff, tOff, tabOff, scratch) => {
    const G = loadGeometry(s, geo, ['Kg', 'OHW']);
    const [ap, bp, tb, tab, jc, nc, pc, kc, ic, mc] = s.i32s(10);
    return [
      G.init,
      ap.set(add(scratch.get, aOff.get)),
      bp.set(add(scratch.get, bOff.get)),
      tb.set(add(scratch.get, tOff.get)),
      tab.set(add(scratch.get, tabOff.get)),
      forLoop(jc, p0.get, p1.get, c32(NC),
        nc.set(minI(s, sub(p1.get, jc.get), c32(NC))),
        forLoop(pc, c32(0), G.Kg.get, kcStep.get,
          kc.set(minI(s, sub(G.Kg.get, pc.get), kcStep.get)),
          ctl.call(packIm2col, geo.get, x.get, pc.get, kc.get, jc.get, nc.get, bp.get, tab.get),
          forLoop(ic, o0.get, o1.get, c32(MC),
            mc.set(minI(s, sub(o1.get, ic.get), c32(MC))),
            ctl.call(g.packA, mc.get, kc.get, add(w.get, i32.shl(add(mul(ic.get, G.Kg.get), pc.get), c32(L.shift))), i32.shl(G.Kg.get, c32(L.shift)), c32(es), ap.get),
            ctl.call(g.macro, mc.get, nc.get, kc.get, ap.get, bp.get,
              add(out.get, i32.shl(add(mul(ic.get, G.OHW.get), jc.get), c32(L.shift))), i32.shl(G.OHW.get, c32(L.shift)),
              i32.ne(pc.get, c32(0)), tb.get),
          ),
        ),
      ),
    ];
  });

  // scatterTile(geo, tile, mr, nr, dx, c, kh, kw, tabEntry): dx(c + r, ih, iw) += tile[r][j] for the
  // positions of the panel `tabEntry` describes whose tap (kh, kw) lands inside the image.
  const scatterTile = m.func(null, Array<'i32'>(9).fill('i32'), [], (s, geo, tile, mr, nr, dx, c, kh, kw, te) => {
    const G = loadGeometry(s, geo, ['H', 'W', 'HW', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OW']);
    const [r, j, ih, iw0, plane, src, dst, o2, w2, ih2, iw2, rowOff] = s.i32s(12);
    const vecAdd: Code[] = [];
    for (let v = 0; v < NV; v++) vecAdd.push(v128.store(dst.get, L.vadd(v128.load(dst.get, v * 16), v128.load(src.get, v * 16)), v * 16));
    return [
      G.init,
      ih.set(add(mul(i32.load(te.get, 0), G.sh.get), sub(mul(kh.get, G.dh.get), G.ph.get))),
      iw0.set(add(mul(i32.load(te.get, 4), G.sw.get), sub(mul(kw.get, G.dw.get), G.pw.get))),
      ctl.if(
        i32.and(i32.and(i32.eq(nr.get, c32(NR)), i32.load(te.get, 8)),
          i32.and(i32.and(i32.lt_u(ih.get, G.H.get), i32.eq(G.sw.get, c32(1))), i32.and(i32.ge_s(iw0.get, c32(0)), i32.le_s(add(iw0.get, c32(NR)), G.W.get)))),
        // A full panel in one row, all inside: vector adds.
        [
          rowOff.set(i32.shl(add(mul(ih.get, G.W.get), iw0.get), c32(L.shift))),
          forLoop(r, c32(0), mr.get, c32(1),
            src.set(add(tile.get, mul(r.get, c32(NR * es)))),
            dst.set(add(add(dx.get, i32.shl(mul(add(c.get, r.get), G.HW.get), c32(L.shift))), rowOff.get)),
            vecAdd,
          ),
        ],
        forLoop(r, c32(0), mr.get, c32(1),
          plane.set(add(dx.get, i32.shl(mul(add(c.get, r.get), G.HW.get), c32(L.shift)))),
          src.set(add(tile.get, mul(r.get, c32(NR * es)))),
          o2.set(i32.load(te.get, 0)),
          w2.set(i32.load(te.get, 4)),
          forLoop(j, c32(0), nr.get, c32(1),
            ih2.set(add(mul(o2.get, G.sh.get), sub(mul(kh.get, G.dh.get), G.ph.get))),
            iw2.set(add(mul(w2.get, G.sw.get), sub(mul(kw.get, G.dw.get), G.pw.get))),
            ctl.if(i32.and(i32.lt_u(ih2.get, G.H.get), i32.lt_u(iw2.get, G.W.get)), [
              dst.set(add(plane.get, i32.shl(add(mul(ih2.get, G.W.get), iw2.get), c32(L.shift)))),
              L.store(dst.get, L.add(L.load(dst.get), L.load(add(src.get, i32.shl(j.get, c32(L.shift)))))),
            ]),
            w2.set(add(w2.get, c32(1))),
            ctl.if(i32.eq(w2.get, G.OW.get), [w2.set(c32(0)), o2.set(add(o2.get, c32(1)))]),
          ),
        ),
      ),
    ];
  });

  // conv_dx(geo, g, w, dx, c0, c1, kcStep, aOff, bOff, tOff, tabOff, scratch): input channels
  // [c0, c1) of dx for one image and group. B = g (all Og rows in K blocks × all positions) is
  // packed once; per tap, A = W(·, c, tap)ᵀ is packed and every tile's K blocks are summed in the
  // tile buffer before it is scattered.
  m.func(`conv_dx_${suffix}`, Array<'i32'>(12).fill('i32'), [], (s, geo, gy, w, dx, c0, c1, kcStep, aOff, bOff, tOff, tabOff, scratch) => {
    const G = loadGeometry(s, geo, ['Og', 'Cg', 'KK', 'KW', 'OHW', 'OW']);
    const [ap, bp, tb, tab, b0, kc, t, kh, kw, ic, mc, jr, nr, ir, mr, te, aBlk, bBlk, pPad] = s.i32s(19);
    // Packed block b of A starts at ap + b0·MCpad·es (MCpad = MC rounded up to MR: panels are full),
    // of B at bp + b0·pPad·es; within a block, panel offsets scale with that block's kc.
    const mcPad = Math.ceil(MC / MR) * MR;
    const forBlocks = (...body: Code[]): Code =>
      forLoop(b0, c32(0), G.Og.get, kcStep.get, kc.set(minI(s, sub(G.Og.get, b0.get), kcStep.get)), body);
    return [
      G.init,
      ap.set(add(scratch.get, aOff.get)),
      bp.set(add(scratch.get, bOff.get)),
      tb.set(add(scratch.get, tOff.get)),
      tab.set(add(scratch.get, tabOff.get)),
      pPad.set(mul(i32.div_u(add(G.OHW.get, c32(NR - 1)), c32(NR)), c32(NR))),
      ctl.call(panelTable, G.OW.get, c32(0), G.OHW.get, tab.get),
      forBlocks(
        ctl.call(g.packB, kc.get, G.OHW.get, add(gy.get, i32.shl(mul(b0.get, G.OHW.get), c32(L.shift))),
          i32.shl(G.OHW.get, c32(L.shift)), c32(es), add(bp.get, i32.shl(mul(b0.get, pPad.get), c32(L.shift)))),
      ),
      forLoop(t, c32(0), G.KK.get, c32(1),
        kh.set(i32.div_u(t.get, G.KW.get)),
        kw.set(sub(t.get, mul(kh.get, G.KW.get))),
        forLoop(ic, c0.get, c1.get, c32(MC),
          mc.set(minI(s, sub(c1.get, ic.get), c32(MC))),
          forBlocks(
            ctl.call(g.packA, mc.get, kc.get,
              add(w.get, i32.shl(add(mul(add(mul(b0.get, G.Cg.get), ic.get), G.KK.get), t.get), c32(L.shift))),
              i32.shl(G.KK.get, c32(L.shift)), i32.shl(mul(G.Cg.get, G.KK.get), c32(L.shift)),
              add(ap.get, i32.shl(mul(b0.get, c32(mcPad)), c32(L.shift)))),
          ),
          te.set(tab.get),
          forLoop(jr, c32(0), G.OHW.get, c32(NR),
            nr.set(minI(s, sub(G.OHW.get, jr.get), c32(NR))),
            forLoop(ir, c32(0), mc.get, c32(MR),
              mr.set(minI(s, sub(mc.get, ir.get), c32(MR))),
              forBlocks(
                aBlk.set(add(ap.get, i32.shl(add(mul(b0.get, c32(mcPad)), mul(ir.get, kc.get)), c32(L.shift)))),
                bBlk.set(add(bp.get, i32.shl(add(mul(b0.get, pPad.get), mul(jr.get, kc.get)), c32(L.shift)))),
                ctl.call(g.kernel, kc.get, aBlk.get, bBlk.get, tb.get, c32(NR * es), i32.ne(b0.get, c32(0))),
              ),
              ctl.call(scatterTile, geo.get, tb.get, mr.get, nr.get, dx.get, add(ic.get, ir.get), kh.get, kw.get, te.get),
            ),
            te.set(add(te.get, c32(12))),
          ),
        ),
      ),
    ];
  });

  // packIm2colT(geo, x, p0, kc, j0, nc, dst): dst[(q·kc + kk)·NR + jj] = col(j0 + q·NR + jj, p0 + kk)
  // (the transposed im2col block: positions along k, (c, kh, kw) along the panel); zero past nc.
  const packIm2colT = m.func(null, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (s, geo, x, p0, kc, j0, nc, dst) => {
    const G = loadGeometry(s, geo, ['H', 'W', 'KK', 'KW', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OW', 'HW']);
    const [jj, jAbs, c, kh, kw, plane, ihb, iwb, d, oh, ow, kk, run, ih, iwA, n2, lo, hi, src, step, srcStep, e] = s.i32s(22);
    const stride = c32(NR * es);
    return [G.init, forLoop(jj, c32(0), nc.get, c32(1),
      // Column jj of the block: panel jj / NR, lane jj % NR.
      d.set(add(dst.get, i32.shl(add(mul(i32.div_u(jj.get, c32(NR)), mul(kc.get, c32(NR))), i32.rem_u(jj.get, c32(NR))), c32(L.shift)))),
      jAbs.set(add(j0.get, jj.get)),
      c.set(i32.div_u(jAbs.get, G.KK.get)),
      kh.set(sub(jAbs.get, mul(c.get, G.KK.get))),
      kw.set(sub(kh.get, mul(i32.div_u(kh.get, G.KW.get), G.KW.get))),
      kh.set(i32.div_u(kh.get, G.KW.get)),
      plane.set(add(x.get, i32.shl(mul(c.get, G.HW.get), c32(L.shift)))),
      ihb.set(sub(mul(kh.get, G.dh.get), G.ph.get)),
      iwb.set(sub(mul(kw.get, G.dw.get), G.pw.get)),
      // Valid output columns of this kw: iw = ow·sw + iwb in [0, W) ⇔ ow in [lo, hi).
      lo.set(c32(0)),
      ctl.if(i32.lt_s(iwb.get, c32(0)), lo.set(i32.div_u(add(sub(c32(0), iwb.get), sub(G.sw.get, c32(1))), G.sw.get))),
      hi.set(c32(0)),
      ctl.if(i32.gt_s(G.W.get, iwb.get), hi.set(add(i32.div_u(sub(sub(G.W.get, c32(1)), iwb.get), G.sw.get), c32(1)))),
      hi.set(minI(s, hi.get, G.OW.get)),
      lo.set(minI(s, lo.get, hi.get)),
      srcStep.set(i32.shl(G.sw.get, c32(L.shift))),
      oh.set(i32.div_u(p0.get, G.OW.get)),
      ow.set(sub(p0.get, mul(oh.get, G.OW.get))),
      kk.set(c32(0)),
      // Row segments: positions [kk, kk + run) lie in output row oh, columns [ow, ow + run).
      ctl.if(i32.lt_s(kk.get, kc.get), ctl.loop(
        run.set(minI(s, sub(kc.get, kk.get), sub(G.OW.get, ow.get))),
        ih.set(add(mul(oh.get, G.sh.get), ihb.get)),
        e.set(add(ow.get, run.get)),
        ctl.if(i32.lt_u(ih.get, G.H.get),
          [
            // zeros for ow < lo, copies for lo <= ow < hi, zeros for ow >= hi
            step.set(minI(s, e.get, lo.get)),
            forLoop(n2, ow.get, step.get, c32(1), L.store(d.get, L.zero()), d.set(add(d.get, stride))),
            n2.set(minI(s, e.get, hi.get)),
            iwA.set(ctl.select(ow.get, lo.get, i32.gt_s(ow.get, lo.get))),
            src.set(add(plane.get, i32.shl(add(mul(ih.get, G.W.get), add(mul(iwA.get, G.sw.get), iwb.get)), c32(L.shift)))),
            forLoop(step, iwA.get, n2.get, c32(1), L.store(d.get, L.load(src.get)), d.set(add(d.get, stride)), src.set(add(src.get, srcStep.get))),
            iwA.set(ctl.select(ow.get, hi.get, i32.gt_s(ow.get, hi.get))),
            forLoop(step, iwA.get, e.get, c32(1), L.store(d.get, L.zero()), d.set(add(d.get, stride))),
          ],
          forLoop(step, ow.get, e.get, c32(1), L.store(d.get, L.zero()), d.set(add(d.get, stride))),
        ),
        kk.set(add(kk.get, run.get)),
        ow.set(c32(0)),
        oh.set(add(oh.get, c32(1))),
        ctl.br_if(0, i32.lt_s(kk.get, kc.get)),
      )),
    )];
  });

  // conv_dw(geo, x, g, dw, j0, j1, nImg, kcStep, accumulate, aOff, bOff, tOff, scratch): columns
  // [j0, j1) of dW [Og × Kg] of one group, summed over nImg images (x, g at image 0 of the group).
  m.func(`conv_dw_${suffix}`, Array<'i32'>(13).fill('i32'), [], (s, geo, x, gy, dw, j0, j1, nImg, kcStep, accumulate, aOff, bOff, tOff, scratch) => {
    const G = loadGeometry(s, geo, ['C', 'O', 'HW', 'OHW', 'Og', 'Kg']);
    const [ap, bp, tb, n, xn, gn, pc, kc, jc, nc, ic, mc, ncPad, z] = s.i32s(14);
    return [
      G.init,
      ap.set(add(scratch.get, aOff.get)),
      bp.set(add(scratch.get, bOff.get)),
      tb.set(add(scratch.get, tOff.get)),
      forLoop(n, c32(0), nImg.get, c32(1),
        xn.set(add(x.get, i32.shl(mul(n.get, mul(G.C.get, G.HW.get)), c32(L.shift)))),
        gn.set(add(gy.get, i32.shl(mul(n.get, mul(G.O.get, G.OHW.get)), c32(L.shift)))),
        forLoop(pc, c32(0), G.OHW.get, kcStep.get,
          kc.set(minI(s, sub(G.OHW.get, pc.get), kcStep.get)),
          forLoop(jc, j0.get, j1.get, c32(NC),
            nc.set(minI(s, sub(j1.get, jc.get), c32(NC))),
            // The last panel's lanes past nc must be zeros (packIm2colT writes only nc columns).
            ncPad.set(mul(i32.div_u(add(nc.get, c32(NR - 1)), c32(NR)), c32(NR))),
            ctl.if(i32.ne(ncPad.get, nc.get), forLoop(z, nc.get, ncPad.get, c32(1),
              zeroColumn(L, s, bp.get, z.get, kc.get, NR))),
            ctl.call(packIm2colT, geo.get, xn.get, pc.get, kc.get, jc.get, nc.get, bp.get),
            forLoop(ic, c32(0), G.Og.get, c32(MC),
              mc.set(minI(s, sub(G.Og.get, ic.get), c32(MC))),
              ctl.call(g.packA, mc.get, kc.get, add(gn.get, i32.shl(add(mul(ic.get, G.OHW.get), pc.get), c32(L.shift))), i32.shl(G.OHW.get, c32(L.shift)), c32(es), ap.get),
              ctl.call(g.macro, mc.get, nc.get, kc.get, ap.get, bp.get,
                add(dw.get, i32.shl(add(mul(ic.get, G.Kg.get), jc.get), c32(L.shift))), i32.shl(G.Kg.get, c32(L.shift)),
                i32.or(accumulate.get, i32.or(i32.ne(n.get, c32(0)), i32.ne(pc.get, c32(0)))), tb.get),
            ),
          ),
        ),
      ),
    ];
  });
}

/** Zeros column z (a lane of the panel z / NR) of a packed B block with kc rows. */
function zeroColumn(L: Lanes, s: FunctionScope, bp: Code, z: Code, kc: Code, NR: number): Code {
  const d = s.local('i32');
  const k = s.local('i32');
  return [
    d.set(add(bp, i32.shl(add(mul(i32.div_u(z, c32(NR)), mul(kc, c32(NR))), i32.rem_u(z, c32(NR))), c32(L.shift)))),
    forLoop(k, c32(0), kc, c32(1), L.store(d.get, L.zero()), d.set(add(d.get, c32(NR * L.es)))),
  ];
}
