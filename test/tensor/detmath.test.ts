import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detExp, detExpm1, detLog1p, detLogAny, detTanh } from '../../src/tensor/detmath.js';
import { detLog } from '../../src/tensor/rng.js';
import { runs } from '../support/check.js';

// camlab's kernels use these instead of Math.exp/log/log1p/tanh so that every JS engine gives the
// same bits. They are ports of the fdlibm/FreeBSD routines V8 uses, so under Node they must equal
// V8's Math.* bit for bit — the strongest check of the ports that this test machine allows.
const PAIRS: ReadonlyArray<[string, (x: number) => number, (x: number) => number, fc.Arbitrary<number>]> = [
  ['exp', detExp, Math.exp, fc.double({ min: -760, max: 760, noNaN: true })],
  ['expm1', detExpm1, Math.expm1, fc.double({ min: -760, max: 760, noNaN: true })],
  ['log', detLogAny, Math.log, fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true })],
  ['log1p', detLog1p, Math.log1p, fc.double({ min: -1, max: 1e300, noNaN: true })],
  ['tanh', detTanh, Math.tanh, fc.double({ min: -40, max: 40, noNaN: true })],
];

function scaled(x: number, e: number): number {
  return x * Math.pow(2, e);
}

describe.each(PAIRS)('det %s', (_name, det, ref, arb) => {
  it('equals V8 bit for bit on random arguments of every magnitude', () => {
    fc.assert(fc.property(arb, (x) => Object.is(det(x), ref(x))), runs(20_000));
    fc.assert(fc.property(fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: -1074, max: 10 }), (m, e) => Object.is(det(scaled(m, e)), ref(scaled(m, e)))), runs(20_000));
  });

  it('handles the special values as Math does', () => {
    for (const x of [0, -0, 1, -1, 0.5, 2, Infinity, -Infinity, NaN, 5e-324, -5e-324, 709.782712893384, -745.1332191019412, 22, -22, 1e-30]) {
      expect(Object.is(det(x), ref(x)), `${String(x)}`).toBe(true);
    }
  });
});

describe('detLog (the sampler)', () => {
  it('is detLogAny on positive finite values and refuses the rest', () => {
    for (const x of [1e-320, 0.5, 1, 3, 1e300]) expect(detLog(x)).toBe(detLogAny(x));
    expect(() => detLog(0)).toThrow(/detLog: argument must be positive and finite, got 0/);
    expect(() => detLog(Infinity)).toThrow(/got Infinity/);
  });
});
