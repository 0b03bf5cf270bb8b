import { afterAll, beforeAll } from 'vitest';
import { getBackend, setBackend, type Backend } from '../../src/tensor/backend.js';

/** The kernel backends every kernel test runs on (describe.each over them). */
export const BACKENDS: readonly Backend[] = ['js', 'wasm'];

/** Runs the enclosing describe block's tests on `backend`, restoring the previous one afterwards. */
export function useBackend(backend: Backend): void {
  let previous: Backend = getBackend();
  beforeAll(() => {
    previous = getBackend();
    setBackend(backend);
  });
  afterAll(() => setBackend(previous));
}

/** Runs f on `backend` and restores the previous one. */
export function onBackend<T>(backend: Backend, f: () => T): T {
  const previous = getBackend();
  setBackend(backend);
  try {
    return f();
  } finally {
    setBackend(previous);
  }
}
