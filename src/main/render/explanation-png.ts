import sharp from 'sharp';
import type { Explanation } from '../pairx/explanation.ts';
import { MATCH_COLOR_MAPS, MATCH_LINE_COLORS, jet } from '../../shared/colormaps.ts';

/**
 * Draws an explanation in the reference's layout (docs/PAIRX.md step 7): top row, both photos with
 * their intermediate-relevance heat maps and the top k_lines matches as lines; bottom row, the pixel
 * relevance of the top k_colors matches, one colour map each, accumulated on white.
 */

export interface RgbImage {
  /** Interleaved RGB bytes of the model-sized view of the photo. */
  data: Uint8Array;
  width: number;
  height: number;
}

const HEAT_WEIGHT = 0.4;
const MAP_SCALE = 0.8;
const MAP_GAMMA = 0.95;

/** Bilinear resize with pixel-centre alignment (cv2.INTER_LINEAR). */
export function resizeBilinear(map: Float32Array, w: number, h: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * h) / height - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(((x + 0.5) * w) / width - 0.5, 0), w - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w - 1);
      const fx = sx - x0;
      const top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      const bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Photo blended 60/40 with the jet-coloured heat map (min–max scaled), into `out` at column `offset`. */
function drawHeat(out: Uint8Array, stride: number, offset: number, photo: RgbImage, heat: Float32Array, w: number, h: number) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of heat) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scaled = heat.map((v) => (max > min ? (255 * (v - min)) / (max - min) : 0));
  const resized = resizeBilinear(scaled, w, h, photo.width, photo.height);
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const i = y * photo.width + x;
      const color = jet(Math.round(resized[i]) / 255);
      for (let c = 0; c < 3; c++) {
        const value = (1 - HEAT_WEIGHT) * photo.data[i * 3 + c] + HEAT_WEIGHT * 255 * color[c];
        out[(y * stride + offset + x) * 3 + c] = Math.round(value);
      }
    }
  }
}

function drawPixelMaps(out: Uint8Array, stride: number, rowOffset: number, offset: number, photo: Pick<RgbImage, 'width' | 'height'>, maps: Float32Array, count: number) {
  const plane = photo.width * photo.height;
  const accumulated = new Float32Array(plane * 3);
  for (let k = 0; k < count; k++) {
    const map = maps.subarray(k * plane, (k + 1) * plane);
    let max = 0;
    for (const v of map) if (v > max) max = v;
    const colorMap = MATCH_COLOR_MAPS[k % MATCH_COLOR_MAPS.length];
    for (let i = 0; i < plane; i++) {
      const normalised = max > 0 ? Math.pow(Math.min(map[i] / max, 1), MAP_GAMMA) : 0;
      const color = colorMap(normalised);
      for (let c = 0; c < 3; c++) accumulated[i * 3 + c] += MAP_SCALE * (1 - color[c]);
    }
  }
  for (let i = 0; i < plane; i++) {
    const y = Math.floor(i / photo.width);
    const x = i % photo.width;
    for (let c = 0; c < 3; c++) {
      out[((rowOffset + y) * stride + offset + x) * 3 + c] = Math.floor(Math.min(Math.max(1 - accumulated[i * 3 + c], 0), 1) * 255);
    }
  }
}

function matchLinesSvg(explanation: Explanation, width: number, height: number): string {
  const shapes = explanation.matches.slice(0, explanation.kLines).map((match, i) => {
    const color = MATCH_LINE_COLORS[i % MATCH_LINE_COLORS.length];
    const [x0, y0] = match.point0.map(Math.trunc);
    const [x1, y1] = [Math.trunc(match.point1[0]) + width, Math.trunc(match.point1[1])];
    return (
      `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y1}" stroke="${color}" stroke-width="1"/>` +
      `<circle cx="${x0}" cy="${y0}" r="3" stroke="${color}" stroke-width="2" fill="none"/>` +
      `<circle cx="${x1}" cy="${y1}" r="3" stroke="${color}" stroke-width="2" fill="none"/>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * 2}" height="${height}">${shapes.join('')}</svg>`;
}

/** The reference picture as PNG bytes. Photos must be the model-sized views (explanation.input). */
export async function renderExplanationPng(explanation: Explanation, photos: [RgbImage, RgbImage]): Promise<Buffer> {
  const { width, height } = explanation.input;
  const { width: w, height: h } = explanation.layer;
  const stride = width * 2;
  const canvas = new Uint8Array(stride * height * 2 * 3);
  drawHeat(canvas, stride, 0, photos[0], explanation.relevanceMaps[0], w, h);
  drawHeat(canvas, stride, width, photos[1], explanation.relevanceMaps[1], w, h);
  drawPixelMaps(canvas, stride, height, 0, photos[0], explanation.pixelMaps[0], explanation.kColors);
  drawPixelMaps(canvas, stride, height, width, photos[1], explanation.pixelMaps[1], explanation.kColors);
  return sharp(canvas, { raw: { width: stride, height: height * 2, channels: 3 } })
    .composite([{ input: Buffer.from(matchLinesSvg(explanation, width, height)), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/** The model-sized RGB view of an already-normalised input tensor [3,H,W] (for .npy inputs). */
export function denormalise(tensor: Float32Array, width: number, height: number, mean: number[], std: number[]): RgbImage {
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      data[i * 3 + c] = Math.min(255, Math.max(0, Math.round((tensor[c * plane + i] * std[c] + mean[c]) * 255)));
    }
  }
  return { data, width, height };
}
