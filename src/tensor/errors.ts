/** Every failure camlab raises names the operation first: `conv2d: input has 3 channels, ...`. */
export class CamlabError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'CamlabError';
    this.op = op;
  }
}

export function fail(op: string, message: string): never {
  throw new CamlabError(op, message);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
