import { fail } from '../tensor/errors.js';

/**
 * Fails with op 'onnx'. Control characters (names in a corrupt file can hold any byte) are
 * escaped, so the message stays one line.
 */
export function onnxFail(message: string): never {
  fail('onnx', message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
