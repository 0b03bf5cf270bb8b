/**
 * Synthetic datasets with ground-truth masks (pure ECMAScript, every runtime). The MNIST loader in
 * `./mnist.ts` reads files and is Node-only, so it is imported from its own module, not from here.
 */
export {
  SHAPE_CLASSES, SHAPE_SIZE, PLAIN_BACKGROUND,
  generateShape, shapesDataset, shapeSeed, shapeAt, unionMask,
  type ShapeClass, type ShapeInstance, type ShapeSample, type ShapeOptions,
} from './shapes.js';
export * from './datasets.js';
export * from './eval-sets.js';
