/**
 * Grad mode: while enabled, ops on tensors that require grad record graph nodes. `noGrad` turns
 * recording off for a block (inference, optimizer steps, first-order backward passes).
 */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn without recording a graph; results never require grad. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with recording on (used inside backward passes that build a graph for higher orders). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
