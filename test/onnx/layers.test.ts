import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { defaultLayer } from '../../src/cam/split.js';
import { OnnxTap, TokenGrid } from '../../src/onnx/index.js';
import { modulePath } from '../../src/onnx/names.js';
import { zeros } from '../../src/tensor/create.js';
import { errorOf, expectClose } from '../support/check.js';
import { loadFixture, reference } from './support/fixtures.js';

// How CAM code finds layers in an ONNX model: taps named by ONNX tensor names, PyTorch module
// paths (the last node torch.onnx scoped under that module), token map views, and the default.
describe('layer names', () => {
  it('module paths from torch.onnx node names: Sequential children by index, other children by attribute', () => {
    expect(modulePath('/layer4/layer4.1/relu_1/Relu')).toBe('layer4.1.relu_1');
    expect(modulePath('/features/features.7/features.7.0/block/block.4/Mul')).toBe('features.7.0.block.4');
    expect(modulePath('/features/denseblock4/denselayer2/norm1/BatchNormalization')).toBe('features.denseblock4.denselayer2.norm1');
    expect(modulePath('/trunk_output/block3/block3-2/f/b/b.0/Conv')).toBe('trunk_output.block3.block3-2.f.b.0');
    expect(modulePath('/Flatten')).toBe('');
  });

  const m = loadFixture('resnet18.onnx');

  it('a module path selects the last node inside that scope, as layer4[-1] in pytorch-grad-cam', () => {
    const tap = m.get('layer4.1') as OnnxTap;
    expect(tap).toBeInstanceOf(OnnxTap);
    expect(tap.tensorName).toBe('/layer4/layer4.1/relu_1/Relu_output_0');
    expect(tap.kind).toBe('onnx:Relu');
    expect(m.get('layer4')).toBe(tap);
    expect(m.get('/layer4/layer4.1/relu_1/Relu_output_0')).toBe(tap);
    expect((m.get('layer4.1.conv1') as OnnxTap).kind).toBe('onnx:Conv');
    expect(m.aliasesOf(tap.tensorName)).toEqual(['layer4', 'layer4.1', 'layer4.1.relu_1']);
  });

  it('namedModules lists every node output up to global pooling, in execution order', () => {
    const names = m.namedModules().map(([n]) => n);
    expect(names[0]).toBe('');
    expect(names[1]).toBe('/conv1/Conv_output_0');
    expect(names).toContain('/layer4/layer4.1/relu_1/Relu_output_0');
    expect(names).not.toContain('/Flatten_output_0'); // after the global pooling: reachable by get(), not listed
    expect(m.get('/Flatten_output_0')).toBeInstanceOf(OnnxTap);
    expect(names.indexOf('/layer1/layer1.0/conv1/Conv_output_0')).toBeLessThan(names.indexOf('/layer2/layer2.0/conv1/Conv_output_0'));
    expect(m.kind).toBe('onnx');
  });

  it('an unknown layer is one line naming the closest candidates', () => {
    const msg = errorOf(() => m.get('layer4.2'));
    expect(msg).toMatch(/^onnx: no layer named 'layer4\.2'; closest: [^(]*layer4\.1,/);
    expect(msg).not.toContain('\n');
    expect(errorOf(() => m.get('layer4.1:grid'))).toMatch(/is not a token sequence/);
  });

  it('layers() lists name, module path, op and shape for one image', () => {
    const layers = m.layers();
    const last = layers.find((l) => l.name === '/layer4/layer4.1/relu_1/Relu_output_0')!;
    expect(last).toEqual({ name: '/layer4/layer4.1/relu_1/Relu_output_0', modulePath: 'layer4.1.relu_1', op: 'Relu', shape: [1, 32, 2, 2] });
    expect(layers[layers.length - 1]).toMatchObject({ name: 'logits', op: 'Gemm', shape: [1, 10] });
    expect(m.layers([3, 96, 96]).find((l) => l.name === last.name)!.shape).toEqual([1, 32, 3, 3]);
  });

  it('a hook on a tap sees the node output and may replace it for the rest of the graph', () => {
    const x = reference('resnet18').get('input');
    const y = noGrad(() => m.forward(x));
    let seen: number[] = [];
    const handle = m.get('layer4.1').registerForwardHook((out) => {
      seen = [...out.shape];
      return mul(out, 0);
    });
    const replaced = noGrad(() => m.forward(x));
    handle.remove();
    expect(seen).toEqual([1, 32, 2, 2]);
    // With layer4.1's output zeroed, the logits are fc's bias alone (pooling of zeros).
    const bias = m.get('logits') as OnnxTap;
    expect(bias.kind).toBe('onnx:Gemm');
    expect(Math.abs(replaced.data[0]! - y.data[0]!)).toBeGreaterThan(1e-3);
    expectClose(noGrad(() => m.forward(x)).data, y.data, 0, 0);
    expectClose(y.data, reference('resnet18').get('logits_f32').data, 1e-4, 1e-4);
  });
});

describe('default CAM layer: the last feature map before global pooling', () => {
  it.each([
    ['resnet18', '/layer4/layer4.1/relu_1/Relu_output_0'],
    ['resnet50', '/layer4/layer4.1/relu_2/Relu_output_0'],
    ['mobilenet_v2', '/features/features.9/features.9.2/Clip_output_0'],
    ['mobilenet_v3_small', '/features/features.7/features.7.2/HardSwish_output_0'],
    ['efficientnet_b0', '/features/features.8/features.8.2/Mul_output_0'],
    ['densenet121', '/Relu_output_0'], // F.relu(features) in DenseNet.forward, after norm5
    ['squeezenet1_1', '/classifier/classifier.2/Relu_output_0'], // the classifier conv's map, before its pooling
    ['regnet_y_400mf', '/trunk_output/block4/block4-1/activation/Relu_output_0'],
    ['convnext_tiny', '/features/features.7/features.7.0/Add_output_0'], // not the classifier's [N,1,1,C] LayerNorm
    ['vit', '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0:grid'],
  ])('%s: %s', (arch, expected) => {
    const m = loadFixture(`${arch}.onnx`);
    expect(defaultLayer(m, reference(arch).get('input'))).toBe(expected);
  });

  it("a ViT's token layers have map views; the last block's output (read through its class token only) has none", () => {
    const m = loadFixture('vit.dynamic.onnx');
    const grid = m.get('encoder.layers.encoder_layer_1.ln_1:grid') as TokenGrid;
    expect(grid).toBeInstanceOf(TokenGrid);
    expect([grid.prefix, grid.grid, grid.kind]).toEqual([1, [4, 4], 'onnx:tokens']);
    const names = m.namedModules().map(([n]) => n);
    expect(names.filter((n) => n.endsWith(':grid')).length).toBeGreaterThan(2);
    expect(errorOf(() => m.get('encoder.layers.encoder_layer_1:grid'))).toMatch(/not a token sequence/);
  });
});

describe('input sizes', () => {
  it('a CNN exported at 64x64 runs at 96x96; a ViT with its patch grid baked in says why it cannot', () => {
    expect([...noGrad(() => loadFixture('resnet18.onnx').forward(zeros([1, 3, 96, 96], { dtype: 'float32' }))).shape]).toEqual([1, 10]);
    const msg = errorOf(() => loadFixture('vit.onnx').forward(zeros([1, 3, 48, 48], { dtype: 'float32' })));
    expect(msg).toMatch(/^onnx: the model was exported for input \[1,3,32,32\] and cannot run \[1,3,48,48\]: Reshape/);
  });
});
