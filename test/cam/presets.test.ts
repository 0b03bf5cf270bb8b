import { describe, expect, it } from 'vitest';
import { alphaOptions, GRAD_CAM_PP_PRESETS } from '../../src/cam/gradcampp.js';
import { presetName, presetNames, withPreset } from '../../src/cam/presets.js';
import { SMOOTH_GRAD_CAM_PP_PRESETS } from '../../src/cam/smooth.js';
import { errorOf } from '../support/check.js';

describe('presets resolve through one typed helper', () => {
  it('names are own keys of the table; unknown names list the known ones', () => {
    expect(presetName('gradcam++', GRAD_CAM_PP_PRESETS, 'torchcam')).toBe('torchcam');
    expect(presetName('gradcam++', GRAD_CAM_PP_PRESETS, undefined)).toBeUndefined();
    expect(errorOf(() => presetName('gradcam++', GRAD_CAM_PP_PRESETS, 'toString'))).toBe(`gradcam++: unknown preset 'toString'; known: ${presetNames(GRAD_CAM_PP_PRESETS).join(', ')}`);
    expect(errorOf(() => presetName('smooth gradcam++', SMOOTH_GRAD_CAM_PP_PRESETS, 'official'))).toBe("smooth gradcam++: unknown preset 'official'; known: camlab, paper, torchcam");
  });

  it('explicit options override the preset; undefined ones keep its values', () => {
    const table = { base: { a: 1, b: 'x' }, other: { a: 2 } } as const;
    expect(withPreset<{ a?: number; b?: string }>('op', table, undefined, 'base', { a: undefined })).toEqual({ a: 1, b: 'x' });
    expect(withPreset<{ a?: number; b?: string }>('op', table, 'other', 'base', { b: 'y' })).toEqual({ a: 2, b: 'y' });
    expect(alphaOptions({ preset: 'pytorch-grad-cam' })).toEqual({ eps: 1e-6 });
    expect(alphaOptions({ preset: 'pytorch-grad-cam', eps: 1e-3, denominator: 'index-mixed' })).toEqual({ eps: 1e-3, denominator: 'index-mixed' });
    expect(alphaOptions({ preset: 'torchcam' })).toEqual({ skipDivision: true });
  });
});
