import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webAssembly, wasmUnavailableReason } from '../../src/tensor/wasm/api.js';
import { ctl, f32, f32x4, f64, forLoop, i32, ModuleBuilder, shuffle, sleb, uleb, v128, whileLoop } from '../../src/tensor/wasm/emit.js';
import { kernelModuleBytes } from '../../src/tensor/wasm/module.js';
import { runs } from '../support/check.js';

/** Instantiates a module built with the emitter on a fresh (non-shared) memory. */
function instantiate(m: ModuleBuilder): { exports: Record<string, (...a: number[]) => number>; memory: { buffer: ArrayBuffer } } {
  const wa = webAssembly()!;
  const memory = new wa.Memory({ initial: 1, maximum: 2 });
  const bytes = m.bytes({ module: 'env', name: 'memory', min: 1, max: 2, shared: false });
  expect(wa.validate(bytes)).toBe(true);
  const inst = new wa.Instance(new wa.Module(bytes), { env: { memory } });
  return { exports: inst.exports as Record<string, (...a: number[]) => number>, memory: memory as { buffer: ArrayBuffer } };
}

/** The value LEB128 bytes encode (reference decoder). */
function decode(bytes: number[], signed: boolean): number {
  let result = 0;
  let scale = 1;
  let last = 0;
  for (const b of bytes) {
    result += (b & 0x7f) * scale;
    scale *= 128;
    last = b;
  }
  if (signed && (last & 0x40) !== 0) result -= scale;
  return result;
}

describe('the WebAssembly emitter', () => {
  it('LEB128: known encodings from the spec, and round trips', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => decode(uleb(n), false) === n), runs(200));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => decode(sleb(n), true) === n), runs(200));
    expect(() => uleb(-1)).toThrow('wasm emitter: uleb of -1');
  });

  it('builds a module whose scalar, loop and call code computes what it says', () => {
    const m = new ModuleBuilder();
    // sumTo(n) = 0 + 1 + ... + (n − 1), with a for loop; twice(x) calls it.
    const sumTo = m.func('sumTo', ['i32'], ['i32'], (s, n) => {
      const i = s.local('i32');
      const acc = s.local('i32');
      return [forLoop(i, i32.const(0), n.get, i32.const(1), acc.set(i32.add(acc.get, i.get))), acc.get];
    });
    m.func('twice', ['i32'], ['i32'], (_, n) => i32.mul(ctl.call(sumTo, n.get), i32.const(2)));
    m.func('countdown', ['i32'], ['i32'], (s, n) => {
      const steps = s.local('i32');
      return [whileLoop(i32.gt_s(n.get, i32.const(0)), n.set(i32.sub(n.get, i32.const(3))), steps.set(i32.add(steps.get, i32.const(1)))), steps.get];
    });
    // A float64 store/load round trip and a float32 rounding.
    m.func('f64store', ['i32'], [], (_, p) => f64.store(p.get, f64.add(f64.load(p.get), f64.const(0.5)), 8));
    m.func('f32round', ['i32'], [], (_, p) => f32.store(p.get, f32.mul(f32.load(p.get), f32.const(3))));
    const { exports, memory } = instantiate(m);
    expect(exports.sumTo!(10)).toBe(45);
    expect(exports.sumTo!(0)).toBe(0);
    expect(exports.twice!(5)).toBe(20);
    expect(exports.countdown!(10)).toBe(4);
    expect(exports.countdown!(-2)).toBe(0);
    const d = new Float64Array(memory.buffer, 0, 2);
    d[0] = 1.25;
    exports.f64store!(0);
    expect(d[1]).toBe(1.75);
    const s = new Float32Array(memory.buffer, 16, 1);
    s[0] = 0.1;
    exports.f32round!(16);
    expect(s[0]).toBe(Math.fround(Math.fround(0.1) * 3));
  });

  it('SIMD: f32x4 arithmetic, bit selection and shuffles', () => {
    const m = new ModuleBuilder();
    // out = a > b ? a : b + a·b per lane, then the even lanes of (out, a).
    m.func('lanes', ['i32', 'i32', 'i32', 'i32'], [], (_, a, b, out, evens) => [
      v128.store(out.get, v128.bitselect(v128.load(a.get), f32x4.add(v128.load(b.get), f32x4.mul(v128.load(a.get), v128.load(b.get))), f32x4.gt(v128.load(a.get), v128.load(b.get)))),
      v128.store(evens.get, shuffle(v128.load(out.get), v128.load(a.get), [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27])),
    ]);
    const { exports, memory } = instantiate(m);
    const f = new Float32Array(memory.buffer, 0, 16);
    f.set([1, -2, 3, 0.5], 0);
    f.set([0, 1, 5, 0.25], 4);
    exports.lanes!(0, 16, 32, 48);
    expect(Array.from(f.subarray(8, 12))).toEqual([1, Math.fround(1 - 2), Math.fround(5 + 15), 0.5]);
    expect(Array.from(f.subarray(12, 16))).toEqual([1, Math.fround(5 + 15), 1, 3]);
  });

  it('the kernel module validates; the SIMD probe agrees with the engine', () => {
    expect(wasmUnavailableReason()).toBeNull();
    for (const shared of [false, true]) expect(webAssembly()!.validate(kernelModuleBytes({ min: 1, max: 4, shared }))).toBe(true);
  });
});
