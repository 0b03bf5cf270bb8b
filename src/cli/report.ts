import type { CamResult } from '../cam/result.js';
import type { SaliencyResult } from '../cam/smooth.js';
import { enlarge, grid, heatmap, overlay, type ColormapName } from '../cam/render.js';
import type { RgbaImage } from '../io/rgba.js';
import { encodePng } from '../io/png.js';
import { slice, reshape } from '../tensor/movement.js';

export type AnyResult = CamResult | SaliencyResult;

/** Integer enlargement that brings a side of `size` pixels to at least 256 for viewing. */
export function displayFactor(size: number): number {
  return Math.max(1, Math.ceil(256 / size));
}

/** How overlays are drawn: colour map and opacity of the heatmap (`--colormap`, `--alpha`). */
export interface MapStyle {
  colormap: ColormapName;
  alpha: number;
}

/**
 * Heatmap and overlay PNGs of image 0 of a result, enlarged crisply for viewing; the overlay
 * picture is returned too, for grids.
 */
export function mapImages(result: AnyResult, picture: RgbaImage, style: MapStyle): { heatmap: Uint8Array; overlay: Uint8Array; overlayPicture: RgbaImage } {
  const map = reshape(slice(result.upsampled, [[0, 1], null, null]), [result.upsampled.shape[1]!, result.upsampled.shape[2]!]);
  const k = displayFactor(picture.width);
  const over = enlarge(overlay(picture, map, { colormap: style.colormap, alpha: style.alpha }), k);
  return { heatmap: encodePng(enlarge(heatmap(map, style.colormap), k)), overlay: encodePng(over), overlayPicture: over };
}

/** The input picture and the overlays side by side in one PNG, each labelled. */
export function gridImage(picture: RgbaImage, overlays: readonly RgbaImage[], labels: readonly string[]): Uint8Array {
  const k = displayFactor(picture.width);
  const tiles = [enlarge(picture, k), ...overlays];
  return encodePng(grid(tiles, Math.min(tiles.length, 5), { labels: ['input', ...labels] }));
}


/** A fixed-width text table; `align` has an 'l' (names) or 'r' (numbers) per column (default: the first left, the rest right). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align = 'l'): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number): boolean => (align[i] ?? 'r') === 'l';
  const line = (cells: readonly string[]): string => cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fmt(v: number, digits = 4): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(digits - 1) : v.toPrecision(digits);
}

/** A duration in seconds as `42s` or `3m07s` (`?` when unknown). */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s); // round first, so 119.7 s is 2m00s, not 1m60s
  const m = Math.floor(t / 60);
  return m > 0 ? `${m}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}
