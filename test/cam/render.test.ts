import { describe, expect, it } from 'vitest';
import { colorOf, colormap, COLORMAPS, enlarge, grid, heatmap, overlay } from '../../src/cam/render.js';
import { tensor } from '../../src/tensor/create.js';

const hex = (c: readonly number[]): string => c.map((v) => v.toString(16).padStart(2, '0')).join('');

describe('colormaps', () => {
  it("have matplotlib's end points", () => {
    expect(hex(colorOf(colormap('viridis'), 0))).toBe('440154');
    expect(hex(colorOf(colormap('viridis'), 1))).toBe('fde725');
    expect(hex(colorOf(colormap('inferno'), 0))).toBe('000004');
    expect(hex(colorOf(colormap('inferno'), 1))).toBe('fcffa4');
    expect(hex(colorOf(colormap('jet'), 0))).toBe('000080');
    expect(hex(colorOf(colormap('jet'), 1))).toBe('800000');
    expect(hex(colorOf(colormap('gray'), 0.5))).toBe('808080');
  });

  it('clamp values outside [0, 1] and every table has 256 colours', () => {
    for (const name of COLORMAPS) {
      expect(colormap(name)).toHaveLength(768);
      expect(colorOf(colormap(name), -3)).toEqual(colorOf(colormap(name), 0));
      expect(colorOf(colormap(name), 7)).toEqual(colorOf(colormap(name), 1));
    }
    expect(() => colormap('rainbow' as never)).toThrow(/unknown colormap 'rainbow'; known: jet, viridis, inferno, gray/);
  });
});

describe('heatmap, overlay, grid', () => {
  const map = tensor([[0, 1], [0.5, 0.25]]);

  it('heatmap colours each value', () => {
    const h = heatmap(map, 'gray');
    expect([h.width, h.height]).toEqual([2, 2]);
    expect(Array.from(h.data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 64, 64, 64, 255]);
  });

  it('overlay blends (1 − α)·image + α·colour', () => {
    const img = { width: 2, height: 2, data: new Uint8Array([100, 0, 0, 255, 100, 0, 0, 255, 100, 0, 0, 255, 100, 0, 0, 255]) };
    const o = overlay(img, map, { colormap: 'gray', alpha: 0.25 });
    expect(Array.from(o.data.subarray(0, 8))).toEqual([75, 0, 0, 255, 139, 64, 64, 255]);
    expect(() => overlay({ width: 3, height: 2, data: new Uint8Array(24) }, map)).toThrow(/image is 3x2 but the map is 2x2/);
  });

  it('enlarge repeats pixels; grid tiles with gaps', () => {
    const h = heatmap(map, 'gray');
    const big = enlarge(h, 3);
    expect([big.width, big.height]).toEqual([6, 6]);
    expect(Array.from(big.data.subarray(4 * 4, 4 * 5))).toEqual([255, 255, 255, 255]);
    const g = grid([h, h, h], 2, { gap: 1 });
    expect([g.width, g.height]).toEqual([2 * 2 + 3, 2 * 2 + 3]);
    expect(() => grid([h, big], 2)).toThrow(/image 1 is 6x6, expected 2x2/);
  });

  it('labels each tile under it in the bitmap font', () => {
    const tile = { width: 40, height: 10, data: new Uint8Array(40 * 10 * 4).fill(255) };
    const g = grid([tile, tile], 2, { gap: 2, labels: ['A', 'I'] });
    expect([g.width, g.height]).toEqual([2 * 40 + 3 * 2, 10 + (7 + 4) + 2 * 2]);
    // The 'I' glyph's top bar (row 0 = 01110) sits centred under the second tile.
    const y = 2 + 10 + 2;
    const x0 = 2 + 40 + 2 + Math.floor((40 - 5) / 2);
    const row = Array.from({ length: 5 }, (_, c) => g.data[4 * (y * g.width + x0 + c)]);
    expect(row).toEqual([255, 0, 0, 0, 255]);
    expect(() => grid([tile], 1, { labels: ['a', 'b'] })).toThrow(/2 labels for 1 images/);
  });
});
