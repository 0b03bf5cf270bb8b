/** A size given once for both spatial axes or as [height, width], as PyTorch's layer arguments. */
export type Pair = number | readonly [number, number];

/** [height, width] of a {@link Pair}. */
export function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** `3` when both axes agree, `(3, 1)` otherwise (the form layer descriptions use). */
export function fmtPair(v: Pair): string {
  const [a, b] = pair(v);
  return a === b ? `${a}` : `(${a}, ${b})`;
}
