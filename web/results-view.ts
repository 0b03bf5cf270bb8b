/**
 * The result tiles of the page: each method's overlay and heatmap drawn from the map the worker
 * sent and kept here, so a new colour map or opacity redraws them at once without a new run; a
 * "save" button per overlay, "download all" (the input and every overlay in one labelled PNG
 * grid, no ZIP) and the colour-scale legend.
 */
import { colormap, enlarge, grid, heatmap, overlay, type ColormapName } from '../src/cam/render.js';
import type { RgbaImage } from '../src/io/rgba.js';
import { Tensor } from '../src/tensor/tensor.js';
import { gridFileName, mapFileName } from '../src/cli/file-names.js';
import type { Rgba } from './protocol.js';

export interface DrawStyle {
  colormap: ColormapName;
  alpha: number;
}

/** What a tile shows and how its files are named. */
export interface TileInfo {
  method: string;
  title: string;
  meta: string;
  /** The map, row-major height × width, values in [0, 1]. */
  map: Float64Array;
  width: number;
  height: number;
  className: string;
  /** The CAM layer, or 'input' for an input saliency map. */
  layer: string;
  /** Tooltip (how the derivatives were obtained). */
  tooltip: string;
  /** Setting tags for file names. */
  tags: string[];
}

interface Tile extends TileInfo {
  overlay: HTMLCanvasElement;
  heat: HTMLCanvasElement;
  pixels: Uint8ClampedArray;
}

export function putImage(canvas: HTMLCanvasElement, img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
}

/** Saved pictures are enlarged crisply to at least 256 pixels wide, as the command line's. */
const enlarged = (img: RgbaImage): RgbaImage => enlarge(img, Math.max(1, Math.ceil(256 / img.width)));

/** Offers a picture as a PNG download named `name`. */
function download(img: RgbaImage, name: string): void {
  const canvas = document.createElement('canvas');
  putImage(canvas, img);
  canvas.toBlob((blob) => {
    if (blob === null) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, 'image/png');
}

export class ResultsView {
  private tiles: Tile[] = [];
  private input: Rgba | null = null;
  private picture = 'picture';
  redraws = 0;

  constructor(private readonly box: HTMLElement, private readonly legend: HTMLCanvasElement, private style: DrawStyle) {
    this.drawLegend();
  }

  /** A new run: the model input (as the model sees it) and the picture's name for file names. */
  start(input: Rgba, picture: string): void {
    this.tiles = [];
    this.input = input;
    this.picture = picture.replace(/\.[A-Za-z0-9]+$/, '');
  }

  get count(): number {
    return this.tiles.length;
  }

  /** Adds a method's tile (overlay, small heatmap, a save button) and returns its element. */
  add(info: TileInfo): HTMLElement {
    const div = document.createElement('div');
    div.className = 'result';
    div.dataset.method = info.method;
    div.title = info.tooltip;
    const h = document.createElement('h3');
    h.textContent = info.title;
    const over = document.createElement('canvas');
    const p = document.createElement('div');
    p.className = 'meta';
    p.textContent = info.meta;
    const heat = document.createElement('canvas');
    heat.className = 'heat';
    const save = document.createElement('button');
    save.type = 'button';
    save.className = 'save';
    save.textContent = 'save';
    save.title = 'save this overlay as a PNG';
    const tile: Tile = { ...info, overlay: over, heat, pixels: new Uint8ClampedArray(0) };
    save.addEventListener('click', () => download(enlarged(this.overlayOf(tile)), mapFileName({ image: this.picture, method: tile.method, tags: tile.tags, className: tile.className, layer: tile.layer }, 'overlay')));
    const row = document.createElement('div');
    row.className = 'tile-row';
    row.append(heat, save);
    div.append(h, over, p, row);
    this.tiles.push(tile);
    this.draw(tile);
    this.box.append(div);
    return div;
  }

  private overlayOf(t: Tile): RgbaImage {
    return overlay(this.input!, new Tensor(t.map, [t.height, t.width]), this.style);
  }

  private draw(t: Tile): void {
    if (this.input === null) return;
    const over = this.overlayOf(t);
    t.pixels = new Uint8ClampedArray(over.data);
    putImage(t.overlay, over);
    putImage(t.heat, heatmap(new Tensor(t.map, [t.height, t.width]), this.style.colormap));
  }

  /** Redraws every tile and the legend in a new style, from the kept maps. */
  restyle(style: DrawStyle): void {
    this.style = style;
    for (const t of this.tiles) this.draw(t);
    this.drawLegend();
    this.redraws++;
  }

  overlayPixels(method: string): number[] | null {
    const t = this.tiles.find((x) => x.method === method);
    return t === undefined ? null : Array.from(t.pixels);
  }

  /** The input and every overlay in one labelled PNG grid. */
  downloadAll(): void {
    if (this.input === null || this.tiles.length === 0) return;
    const tiles = [enlarged(this.input), ...this.tiles.map((t) => enlarged(this.overlayOf(t)))];
    const png = grid(tiles, Math.min(tiles.length, 5), { labels: ['input', ...this.tiles.map((t) => t.method)] });
    const first = this.tiles[0]!;
    download(png, gridFileName(this.picture, this.tiles, first.className, first.layer));
  }

  /** The colour scale: 0 (no evidence) to 1 (the most important pixel of each map). */
  private drawLegend(): void {
    const lut = colormap(this.style.colormap);
    const w = 256;
    const h = 12;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) data.set([lut[3 * x]!, lut[3 * x + 1]!, lut[3 * x + 2]!, 255], 4 * (y * w + x));
    }
    putImage(this.legend, { width: w, height: h, data });
  }
}
