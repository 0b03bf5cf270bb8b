import type { ModelSpec } from './spec.js';
import { resnet18Architecture } from './spec.js';

/**
 * The architectures camlab ships trained weights for, as model specs. Feature extractors end in
 * a conv + ReLU whose 8x8 (shapes) or 7x7 (MNIST) output is the default CAM layer, followed by
 * global average pooling and one linear layer, so CAM, Grad-CAM and Grad-CAM++ all apply.
 */
export function shapesCnnSpec(): ModelSpec {
  return {
    format: 'camlab-model',
    version: 1,
    name: 'shapes-cnn',
    description: 'Small CNN for the synthetic 64x64 shapes data (circle, square, triangle, cross).',
    input: { channels: 3, height: 64, width: 64, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    classes: ['circle', 'square', 'triangle', 'cross'],
    architecture: {
      type: 'Sequential',
      children: {
        features: {
          type: 'Sequential',
          layers: [
            { type: 'Conv2d', in: 3, out: 8, kernel: 3, padding: 1 }, { type: 'BatchNorm2d', features: 8 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel: 2 },
            { type: 'Conv2d', in: 8, out: 16, kernel: 3, padding: 1 }, { type: 'BatchNorm2d', features: 16 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel: 2 },
            { type: 'Conv2d', in: 16, out: 32, kernel: 3, padding: 1 }, { type: 'BatchNorm2d', features: 32 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel: 2 },
            { type: 'Conv2d', in: 32, out: 32, kernel: 3, padding: 1 }, { type: 'BatchNorm2d', features: 32 }, { type: 'ReLU' },
          ],
        },
        pool: { type: 'GlobalAvgPool' },
        classifier: { type: 'Linear', in: 32, out: 4 },
      },
    },
  };
}

/** The bundled `mnist-cnn`: four 3x3 conv + ReLU layers (two max-pools) on 28x28 digits, GAP, one linear layer to 10 classes. */
export function mnistCnnSpec(): ModelSpec {
  return {
    format: 'camlab-model',
    version: 1,
    name: 'mnist-cnn',
    description: 'Small CNN for 28x28 MNIST digits.',
    input: { channels: 1, height: 28, width: 28, mean: [0.1307], std: [0.3081] },
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    architecture: {
      type: 'Sequential',
      children: {
        features: {
          type: 'Sequential',
          layers: [
            { type: 'Conv2d', in: 1, out: 16, kernel: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel: 2 },
            { type: 'Conv2d', in: 16, out: 32, kernel: 3, padding: 1 }, { type: 'ReLU' }, { type: 'MaxPool2d', kernel: 2 },
            { type: 'Conv2d', in: 32, out: 64, kernel: 3, padding: 1 }, { type: 'ReLU' },
            { type: 'Conv2d', in: 64, out: 64, kernel: 3, padding: 1 }, { type: 'ReLU' },
          ],
        },
        pool: { type: 'GlobalAvgPool' },
        classifier: { type: 'Linear', in: 64, out: 10 },
      },
    },
  };
}

/** A ResNet-18-shaped network (torchvision layout and key names), for benchmarks and PyTorch interop. */
export function resnet18Spec(numClasses = 1000): ModelSpec {
  return {
    format: 'camlab-model',
    version: 1,
    name: 'resnet18',
    description: 'ResNet-18 (He et al. 2016) in torchvision layout.',
    input: { channels: 3, height: 224, width: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    classes: Array.from({ length: numClasses }, (_, i) => `class ${i}`),
    architecture: resnet18Architecture(numClasses),
  };
}

/**
 * The bundled `shapes-vit`: a torchvision VisionTransformer for the shapes data with a small
 * convolutional stem (Xiao et al. 2021: three stride-2 conv-BN-ReLU layers down to the 8x8 patch
 * grid, then three stride-1 ones that widen each token's receptive field to 63 px, the whole of
 * any object next to it), two pre-norm encoder blocks of two heads on 32-wide tokens, and the
 * class token's head. The 8x8 token grid matches shapes-cnn's CAM layer. Default CAM layer: the
 * last block's ln_1 grid. Trained with `camlab train --data shapes --arch shapes-vit --epochs 24
 * --batch-size 128 --lr 0.004 --weight-decay 0.05 --warmup 1 --micro-batches 2`.
 */
export function shapesVitSpec(): ModelSpec {
  return {
    format: 'camlab-model',
    version: 1,
    name: 'shapes-vit',
    description: 'Small Vision Transformer (conv stem, 8x8 patches, 2 blocks) for the synthetic 64x64 shapes data (circle, square, triangle, cross).',
    input: { channels: 3, height: 64, width: 64, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    classes: ['circle', 'square', 'triangle', 'cross'],
    architecture: {
      type: 'VisionTransformer', imageSize: 64, patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64, numClasses: 4,
      convStem: [{ out: 16, stride: 2 }, { out: 32, stride: 2 }, { out: 32, stride: 2 }, { out: 32, stride: 1 }, { out: 32, stride: 1 }, { out: 32, stride: 1 }],
    },
  };
}

/** The specs above by model name (fresh objects on every call). */
export const ARCHITECTURES = { 'shapes-cnn': shapesCnnSpec, 'shapes-vit': shapesVitSpec, 'mnist-cnn': mnistCnnSpec, resnet18: () => resnet18Spec() } as const;
