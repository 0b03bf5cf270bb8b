import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/io/onnx-file.js';
import { loadOnnx } from '../../src/onnx/index.js';
import { ProtoReader } from '../../src/onnx/protobuf.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { errorOf } from '../support/check.js';
import { bytes, DOUBLE, model, msg, str, tensorProto, varint, vint } from './support/encode.js';
import { DIR, fixtureBytes } from './support/fixtures.js';

/** loadOnnx's error for these bytes: a CamlabError of one line starting with 'onnx:'. */
function oneLine(b: Uint8Array): string {
  const m = errorOf(() => loadOnnx(b));
  expect(m).toMatch(/^onnx: /);
  expect(m).not.toContain('\n');
  return m;
}

const relu = { op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' };

describe('the protobuf reader', () => {
  it('reads varints up to 10 bytes, negative int64 in two’s complement', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40 + 5, 2 ** 53 - 1, -1, -2, -300, -(2 ** 40)]) {
      expect(new ProtoReader(Uint8Array.from(varint(v)), 'test').varint()).toBe(v);
    }
    expect(varint(-1).length).toBe(10);
  });

  it('reads repeated fields packed and one per tag', () => {
    const packed = new ProtoReader(Uint8Array.from(bytes(8, [...varint(3), ...varint(-1), ...varint(7)])), 'test');
    const out: number[] = [];
    const t = packed.tag();
    packed.repeated(t.wire, 0, 'ints', (r) => r.varint(), out);
    const loose = new ProtoReader(Uint8Array.from([...vint(8, 5), ...vint(8, 6)]), 'test');
    while (!loose.done) loose.repeated(loose.tag().wire, 0, 'ints', (r) => r.varint(), out);
    expect(out).toEqual([3, -1, 7, 5, 6]);
  });
});

describe('malformed, truncated and oversized files fail in one line naming the byte offset or field', () => {
  const good = fixtureBytes('resnet18.onnx');

  it('an empty file, and files of other kinds', () => {
    expect(oneLine(new Uint8Array())).toBe('onnx: the file is empty');
    expect(oneLine(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toMatch(/PNG image/);
    expect(oneLine(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toMatch(/zip archive .*torch\.onnx\.export/);
    expect(oneLine(new TextEncoder().encode('{"a": 1}'))).toMatch(/JSON/);
    expect(oneLine(Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]))).toMatch(/safetensors/);
  });

  it.each([1, 7, 40, 1000, 50_000, 100_000, 161_000])('the model truncated to %i bytes', (n) => {
    expect(oneLine(good.subarray(0, n))).toMatch(/byte \d+|no graph|produced by no node|holds \d+ bytes/);
  });

  it('seeded random garbage', () => {
    const rng = new Rng(11);
    for (let k = 0; k < 20; k++) {
      const b = Uint8Array.from({ length: 64 + 50 * k }, () => Math.floor(rng.uniform() * 256));
      oneLine(b);
    }
  });

  it('a length larger than the file, a varint that never ends, a wire type ONNX never uses', () => {
    expect(oneLine(Uint8Array.from([...vint(1, 8), 0x3a, ...varint(2 ** 40), 1, 2, 3]))).toBe('onnx: byte 3: ModelProto.graph: declares 1099511627776 bytes but only 3 remain (truncated or oversized)');
    expect(oneLine(Uint8Array.from([0x08, ...new Array<number>(11).fill(0xff)]))).toMatch(/^onnx: byte 1: ModelProto: varint longer than 10 bytes/);
    expect(oneLine(Uint8Array.from([0x0b, 0x00]))).toMatch(/^onnx: byte 0: ModelProto: field 1 has wire type 3/);
    expect(oneLine(Uint8Array.from([...vint(1, 8), ...str(7, 'x')]))).toMatch(/^onnx: byte \d+: /);
  });

  it('an initializer whose data does not match its shape', () => {
    const init = msg(5, [vint(1, 4), vint(2, DOUBLE), str(8, 'w'), bytes(9, new Array<number>(8).fill(0))]);
    const b = model({ nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], initializers: [init] });
    expect(oneLine(b)).toMatch(/^onnx: initializer 'w' \(DOUBLE \[4\], byte \d+\): holds 8 bytes of data, expected 4 x 8 = 32$/);
  });
});

describe('graphs camlab cannot run fail at load in one line', () => {
  it('an unsupported operator names the op type, the node and the opset', () => {
    const b = model({ nodes: [relu, { op: 'NonMaxSuppression', inputs: ['y'], outputs: ['z'], name: '/head/nms' }] });
    expect(oneLine(b)).toMatch(/^onnx: unsupported operator NonMaxSuppression \(node '\/head\/nms', opset 17\); camlab supports Abs, Add, /);
    const custom = model({ nodes: [{ op: 'FusedConv', inputs: ['x'], outputs: ['y'], domain: 'com.example' }], domains: { 'com.example': 1 } });
    expect(oneLine(custom)).toMatch(/^onnx: unsupported operator com\.example\.FusedConv \(node 'y', opset 1\)/);
  });

  it('an opset older than 11, two inputs, a missing node input, no graph', () => {
    expect(oneLine(model({ opset: 9, nodes: [relu] }))).toBe('onnx: opset 9 is older than 11; re-export with torch.onnx.export(..., opset_version=17)');
    expect(oneLine(model({ nodes: [{ op: 'Add', inputs: ['x', 'q'], outputs: ['y'] }] }))).toMatch(/input 'q' is produced by no node, initializer or graph input/);
    expect(oneLine(Uint8Array.from([...vint(1, 8)]))).toMatch(/no graph \(ModelProto field 7\)/);
  });

  it('an op that cannot run on the input shape fails at load, naming the node and shapes', () => {
    const w = tensorProto('w', DOUBLE, [3, 5, 3, 3], new Array<number>(135).fill(0.1));
    expect(oneLine(model({ nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: '/conv' }], initializers: [w] })))
      .toMatch(/^onnx: Conv '\/conv': conv2dOutputShape: input has 2 channels, weight expects 5/);
  });

  it('a wrong dtype option', () => {
    expect(errorOf(() => loadOnnx(model({ nodes: [relu] }), { dtype: 'int8' as never }))).toBe("onnx: dtype must be 'float32' or 'float64', got 'int8'");
  });
});

describe('external data', () => {
  const path = new URL('resnet18-external.onnx', DIR).pathname;

  it('without a way to read side files, the error names the file', () => {
    expect(oneLine(fixtureBytes('resnet18-external.onnx'))).toMatch(/its data is in the side file 'resnet18-external\.weights'; pass loadOnnx\(bytes, \{ externalData/);
  });

  it('loads through the externalData option and by path in Node, equal to the model with inline weights', () => {
    const x = loadOnnx(fixtureBytes('resnet18.onnx')).layers();
    const side = fixtureBytes('resnet18-external.weights');
    const viaOption = loadOnnx(fixtureBytes('resnet18-external.onnx'), { externalData: (loc) => (loc === 'resnet18-external.weights' ? side : new Uint8Array()) });
    expect(viaOption.layers()).toEqual(x);
    const { model: m, sidecar } = loadOnnxFile(path);
    expect(sidecar).toBeNull();
    expect(m.layers()).toEqual(x);
  });

  it('a missing file or side file, or a location outside the model folder, is one line', () => {
    expect(errorOf(() => loadOnnxFile('/nonexistent/m.onnx'))).toBe('onnx: cannot read the ONNX model /nonexistent/m.onnx (no such file)');
    expect(errorOf(() => loadOnnx(fixtureBytes('resnet18-external.onnx'), { externalData: () => new Uint8Array(10) }))).toMatch(/external data range offset \d+, length \d+ lies outside 'resnet18-external\.weights' \(10 bytes\)/);
  });

  it('errors are CamlabErrors', () => {
    expect(() => loadOnnx(new Uint8Array([1]))).toThrow(CamlabError);
  });
});

describe('malformed nodes fail in one line', () => {
  it('missing required inputs, extra outputs, an input of the wrong kind', () => {
    expect(oneLine(model({ nodes: [{ op: 'Conv', inputs: ['x'], outputs: ['y'], name: '/c' }] }))).toBe("onnx: Conv '/c': needs 2 inputs, has 1");
    expect(oneLine(model({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y', 'z'], name: '/r' }], outputs: ['y'] }))).toBe("onnx: Relu '/r': has 2 outputs; camlab computes 1");
    const shapeFromData = model({ nodes: [relu, { op: 'Reshape', inputs: ['x', 'y'], outputs: ['z'], name: '/reshape' }] });
    expect(oneLine(shapeFromData)).toBe("onnx: Reshape '/reshape': shape (input 1) is computed at run time; camlab needs it at load time (constant shape arithmetic)");
  });
});

describe('mutated files', () => {
  it('a valid model with a few bytes changed loads or fails with a one-line CamlabError, never a crash', () => {
    const good = fixtureBytes('ops-manual.onnx');
    const rng = new Rng(5);
    for (let k = 0; k < 300; k++) {
      const b = good.slice();
      for (let j = 0; j < 1 + (k % 3); j++) b[Math.floor(rng.uniform() * b.length)] = Math.floor(rng.uniform() * 256);
      try {
        loadOnnx(b, { dtype: 'float64' });
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(CamlabError);
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });
});
