import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * One node output of an ONNX graph as a module: the identity, called by the graph after the node
 * runs, so a forward hook sees the output and may replace it for the rest of the graph (as every
 * camlab layer allows). `kind` is `onnx:<OpType>`.
 */
export class OnnxTap extends Module {
  readonly kind: string;

  constructor(
    /** The ONNX tensor name, e.g. `/layer4/layer4.1/relu_1/Relu_output_0`. */
    readonly tensorName: string,
    readonly opType: string,
    /** The PyTorch module path of the producing node (`layer4.1.relu_1`), '' at the top level. */
    readonly modulePath: string,
  ) {
    super();
    this.kind = `onnx:${opType}`;
    this.training = false;
  }

  override forward(x: Tensor): Tensor {
    return x;
  }

  override describe(): string {
    return `${this.opType} → ${this.tensorName}`;
  }
}
