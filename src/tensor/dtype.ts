/** Element types camlab stores. float64 is the default: this library verifies math. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float64', 'float32'];

/** True for the dtype names camlab stores ('float32', 'float64'). */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64';
}

/** A zero-filled typed array of n elements of `dtype`. */
export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** The dtype of a typed array (Float64Array → 'float64', Float32Array → 'float32'). */
export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** Result type of an operation mixing two dtypes: float64 wins, as in NumPy/PyTorch promotion. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
