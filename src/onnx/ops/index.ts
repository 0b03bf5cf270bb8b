import type { OnnxOp } from '../op.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { NN_OPS } from './nn.js';
import { SHAPE_OPS } from './shape.js';

/** Every operator camlab reads, by op type, in the default ONNX domain. */
export const ONNX_OPS: Readonly<Record<string, OnnxOp>> = { ...ELEMENTWISE_OPS, ...NN_OPS, ...SHAPE_OPS };

/** Operators of other domains camlab reads (ONNX Runtime's contrib Gelu, as some exporters write). */
const DOMAIN_OPS: Readonly<Record<string, Readonly<Record<string, OnnxOp>>>> = {
  'com.microsoft': { Gelu: ELEMENTWISE_OPS.Gelu! },
};

/** The operator for a node's domain and type, or undefined. */
export function findOp(domain: string, opType: string): OnnxOp | undefined {
  if (domain === '') return Object.hasOwn(ONNX_OPS, opType) ? ONNX_OPS[opType] : undefined;
  const d = DOMAIN_OPS[domain];
  return d !== undefined && Object.hasOwn(d, opType) ? d[opType] : undefined;
}

/** The supported op types, sorted (for `unsupported operator` messages and docs). */
export const SUPPORTED_OPS: readonly string[] = Object.keys(ONNX_OPS).sort();
