import sharp from 'sharp';
import { PairxError } from '../errors.ts';

/** Photos above this size are refused before decoding: they are almost always a mistake and cost GiBs. */
export const MAX_INPUT_PIXELS = 100_000_000;

export class ImageInputError extends PairxError {
  constructor(message: string) {
    super('invalid-arguments', message);
  }
}

/** Part of a photo to use: a box in pixels of the upright (EXIF-oriented) photo, rotated by theta. */
export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Rotation in radians about the box centre, as in the reference data loader. */
  theta?: number;
}

export interface InputSpec {
  width: number;
  height: number;
  mean: [number, number, number];
  std: [number, number, number];
}

function imageError(path: string, error: unknown): ImageInputError {
  const reason = (error as Error).message.split('\n')[0].replace(/^Input (file|buffer) /, '');
  return new ImageInputError(`${path}: cannot read image (${reason})`);
}

/** Opens a photo for decoding after checking its size from the header alone. */
export async function openImage(path: string): Promise<sharp.Sharp> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(path).metadata();
  } catch (error) {
    throw imageError(path, error);
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (pixels > MAX_INPUT_PIXELS) {
    throw new ImageInputError(
      `${path}: image is ${metadata.width}×${metadata.height} (${(pixels / 1e6).toFixed(0)} megapixels), over the ${MAX_INPUT_PIXELS / 1e6}-megapixel limit`,
    );
  }
  return sharp(path, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated' }).rotate();
}

/** The upright photo (EXIF orientation applied), cropped and rotated when a crop is given, as RGB. */
export async function uprightRegion(path: string, crop?: Crop): Promise<sharp.Sharp> {
  const image = await openImage(path);
  if (!crop) return image;
  try {
    const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const upright = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    const w = Math.max(1, Math.round(crop.w));
    const h = Math.max(1, Math.round(crop.h));
    if (!crop.theta) {
      return await clampedExtract(upright(), info.width, info.height, Math.round(crop.x), Math.round(crop.y), w, h);
    }
    // Rotate a square window around the box centre (large enough to hold the box at any angle), then cut
    // the box out of its middle. sharp turns clockwise for positive angles; theta turns counter-clockwise.
    const side = Math.ceil(Math.hypot(w, h)) + 2;
    const cx = crop.x + crop.w / 2;
    const cy = crop.y + crop.h / 2;
    const window = await clampedExtract(upright(), info.width, info.height, Math.round(cx - side / 2), Math.round(cy - side / 2), side, side);
    const rotated = await window.rotate((-crop.theta * 180) / Math.PI, { background: { r: 0, g: 0, b: 0 } }).raw().toBuffer({ resolveWithObject: true });
    const left = Math.round((rotated.info.width - w) / 2);
    const top = Math.round((rotated.info.height - h) / 2);
    return sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: rotated.info.channels } }).extract({ left, top, width: w, height: h });
  } catch (error) {
    if (error instanceof ImageInputError) throw error;
    throw imageError(path, error);
  }
}

/** Extracts a window, padding with black where it leaves the photo. */
async function clampedExtract(image: sharp.Sharp, width: number, height: number, left: number, top: number, w: number, h: number): Promise<sharp.Sharp> {
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(width, left + w);
  const y1 = Math.min(height, top + h);
  if (x1 <= x0 || y1 <= y0) throw new ImageInputError(`crop box (${left}, ${top}, ${w}, ${h}) lies outside the ${width}×${height} photo`);
  const inner = await image.extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).raw().toBuffer({ resolveWithObject: true });
  return sharp(inner.data, { raw: { width: inner.info.width, height: inner.info.height, channels: inner.info.channels } }).extend({
    left: x0 - left,
    top: y0 - top,
    right: left + w - x1,
    bottom: top + h - y1,
    background: { r: 0, g: 0, b: 0 },
  });
}

/** RGB bytes of the model-sized view of a photo (what the model sees, before normalisation). */
export async function modelView(path: string, spec: Pick<InputSpec, 'width' | 'height'>, crop?: Crop): Promise<Uint8Array> {
  const region = await uprightRegion(path, crop);
  try {
    const buffer = await region
      .removeAlpha()
      .toColourspace('srgb')
      .resize(spec.width, spec.height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw imageError(path, error);
  }
}

/** Scales RGB bytes to [0,1], normalises with the model's mean/std and lays them out as NCHW float32. */
export function normalise(rgb: Uint8Array, spec: InputSpec): Float32Array {
  const plane = spec.width * spec.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[i * 3 + c] / 255 - spec.mean[c]) / spec.std[c];
  }
  return out;
}

/** A photo as the model's input tensor [3,H,W] (batch dimension left to the caller). */
export async function preprocess(path: string, spec: InputSpec, crop?: Crop): Promise<Float32Array> {
  return normalise(await modelView(path, spec, crop), spec);
}
