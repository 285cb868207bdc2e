import sharp from 'sharp';
import type { Explanation } from '../pairx/explanation.ts';
import { MATCH_COLOR_MAPS, MATCH_LINE_COLORS, jet } from '../../shared/colormaps.ts';
import { describeError, unfaithfulMessage } from '../../shared/conservation.ts';

/**
 * Draws an explanation in the reference's layout (docs/PAIRX.md step 7): top row, both photos with
 * their intermediate-relevance heat maps and the top k_lines matches as lines; bottom row, the pixel
 * relevance of the top k_colors matches, one colour map each, accumulated on white. A caption below
 * names the layer and says whether the explanation conserves relevance (the guard).
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

const CAPTION_FONT = 11;
const CAPTION_LINE = 14;
/** Width of an average character of the caption's sans-serif font, as a share of its size. */
const CHAR_WIDTH = 0.58;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The caption under the picture: layer, similarity and the conservation guard's verdict. An explanation
 * that is not faithful says so in the picture itself, so that an exported copy cannot pass for a good one.
 */
export function captionText(explanation: Explanation): { text: string; faithful: boolean } {
  const guard = explanation.conservation;
  const head = `layer ${explanation.layer.key} · similarity ${explanation.similarity.toFixed(4)}`;
  if (!guard.faithful) {
    const message = unfaithfulMessage(explanation.layer.key, guard.worst, guard.suggestedLayer);
    return { text: `${message[0].toUpperCase()}${message.slice(1)} (similarity ${explanation.similarity.toFixed(4)})`, faithful: false };
  }
  return { text: `${head} · relevance conserved: at the layer ${describeError(guard.worstLayer)} off, pixel maps ${describeError(guard.worstPixels)}`, faithful: true };
}

/** Greedy word wrap to lines of at most `columns` characters (a longer word stands alone). */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return line ? [...lines, line] : lines;
}

/** The caption as lines that fit the picture's width, and its height. */
function captionLines(explanation: Explanation, width: number): { lines: string[]; height: number; faithful: boolean } {
  const { text, faithful } = captionText(explanation);
  const lines = wrap(text, Math.max(8, Math.floor((width - 12) / (CHAR_WIDTH * CAPTION_FONT))));
  return { lines, height: lines.length * CAPTION_LINE + 8, faithful };
}

function captionSvg(caption: { lines: string[]; height: number; faithful: boolean }, width: number): string {
  const [background, colour] = caption.faithful ? ['#ffffff', '#333333'] : ['#b00020', '#ffffff'];
  const text = caption.lines
    .map((line, i) => `<text x="6" y="${CAPTION_LINE * (i + 1)}" font-family="sans-serif" font-size="${CAPTION_FONT}" fill="${colour}">${escapeXml(line)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${caption.height}"><rect width="${width}" height="${caption.height}" fill="${background}"/>${text}</svg>`;
}

/** The reference picture as PNG bytes, with its caption. Photos must be the model-sized views (explanation.input). */
export async function renderExplanationPng(explanation: Explanation, photos: [RgbImage, RgbImage]): Promise<Buffer> {
  const { width, height } = explanation.input;
  const { width: w, height: h } = explanation.layer;
  const stride = width * 2;
  const caption = captionLines(explanation, stride);
  const canvas = new Uint8Array(stride * (height * 2 + caption.height) * 3);
  drawHeat(canvas, stride, 0, photos[0], explanation.relevanceMaps[0], w, h);
  drawHeat(canvas, stride, width, photos[1], explanation.relevanceMaps[1], w, h);
  drawPixelMaps(canvas, stride, height, 0, photos[0], explanation.pixelMaps[0], explanation.kColors);
  drawPixelMaps(canvas, stride, height, width, photos[1], explanation.pixelMaps[1], explanation.kColors);
  return sharp(canvas, { raw: { width: stride, height: height * 2 + caption.height, channels: 3 } })
    .composite([
      { input: Buffer.from(matchLinesSvg(explanation, width, height)), top: 0, left: 0 },
      { input: Buffer.from(captionSvg(caption, stride)), top: height * 2, left: 0 },
    ])
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
