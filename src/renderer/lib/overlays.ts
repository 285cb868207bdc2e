import { MATCH_COLOR_MAPS, MATCH_LINE_COLORS, jet, type ColorMap } from '../../shared/colormaps.ts';

/**
 * The pair view's overlays as RGBA pixels (ImageData-ready): the intermediate-relevance heat map in
 * jet, and pixel relevance in the sequential map of its match — the colours of the reference picture
 * (docs/PAIRX.md step 7), drawn over the photo instead of beside it.
 */

/** Opacity of the heat map over the photo: the reference blends 60 % photo, 40 % heat map. */
export const HEAT_OPACITY = 0.4;
/** Power norm of the pixel maps (reference: gamma 0.95, 0 to the map's max). */
export const PIXEL_GAMMA = 0.95;

export const lineColor = (rank: number): string => MATCH_LINE_COLORS[rank % MATCH_LINE_COLORS.length];
export const pixelColorMap = (rank: number): ColorMap => MATCH_COLOR_MAPS[rank % MATCH_COLOR_MAPS.length];

/** A colour map sampled at 256 levels, as bytes: table[3·v + c]. */
export function colorTable(map: ColorMap, transfer: (v: number) => number = (v) => v): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const [r, g, b] = map(transfer(v / 255));
    table[v * 3] = Math.round(r * 255);
    table[v * 3 + 1] = Math.round(g * 255);
    table[v * 3 + 2] = Math.round(b * 255);
  }
  return table;
}

const JET = colorTable(jet);
const PIXEL_TABLES = MATCH_COLOR_MAPS.map((map) => colorTable(map, (v) => Math.pow(v, PIXEL_GAMMA)));

/**
 * The heat map |Σ_c R| at the layer's resolution, min–max scaled and coloured with jet, fully opaque
 * (the view draws it at HEAT_OPACITY and lets the canvas upsample it smoothly).
 */
export function heatMapPixels(values: ArrayLike<number>, width: number, height: number): Uint8ClampedArray {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const level = max > min ? Math.round((255 * (values[i] - min)) / (max - min)) : 0;
    out.set(JET.subarray(level * 3, level * 3 + 3), i * 4);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * Pixel relevance is sparse: a few strong pixels and a long faint tail. Over a photo (the reference
 * draws on white) the faint tail must stay see-through and the strong pixels must read as a stain in
 * the match's colour, so opacity follows a power ramp (v^0.7) and the colour comes from the darker half
 * of the map.
 */
export const PIXEL_OPACITY_EXPONENT = 0.7;
const STAIN_FLOOR = 160;

const opacity = (v: number, maxOpacity: number) =>
  Math.round(255 * maxOpacity * Math.pow(v / 255, PIXEL_OPACITY_EXPONENT));

/** One match's pixel map as a stain in its sequential colour map, transparent where relevance is zero. */
export function pixelMapPixels(map: Uint8Array, rank: number, maxOpacity = 0.9): Uint8ClampedArray {
  const table = PIXEL_TABLES[rank % PIXEL_TABLES.length];
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    const level = Math.max(v, STAIN_FLOOR);
    out[i * 4] = table[level * 3];
    out[i * 4 + 1] = table[level * 3 + 1];
    out[i * 4 + 2] = table[level * 3 + 2];
    out[i * 4 + 3] = opacity(v, maxOpacity);
  }
  return out;
}

/**
 * Several matches' pixel maps at once: at each pixel, the stain colours of the maps weighted by their
 * strength there, with the opacity of the strongest. (The reference accumulates the maps on white,
 * `1 − clip(Σ_j 0.8·(1 − rgb_j))`; over a photo that turns every faint value into a white haze.)
 */
export function pixelMapsComposite(maps: readonly Uint8Array[], maxOpacity = 0.9): Uint8ClampedArray {
  const size = maps[0]?.length ?? 0;
  const out = new Uint8ClampedArray(size * 4);
  for (let i = 0; i < size; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let total = 0;
    let strongest = 0;
    for (let k = 0; k < maps.length; k++) {
      const v = maps[k][i];
      if (v === 0) continue;
      const table = PIXEL_TABLES[k % PIXEL_TABLES.length];
      const level = Math.max(v, STAIN_FLOOR) * 3;
      r += v * table[level];
      g += v * table[level + 1];
      b += v * table[level + 2];
      total += v;
      if (v > strongest) strongest = v;
    }
    if (total === 0) continue;
    out[i * 4] = Math.round(r / total);
    out[i * 4 + 1] = Math.round(g / total);
    out[i * 4 + 2] = Math.round(b / total);
    out[i * 4 + 3] = opacity(strongest, maxOpacity);
  }
  return out;
}
