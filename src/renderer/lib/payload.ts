import type { ConservationPayload } from '../../shared/conservation.ts';
import type { PairMatchesPayload, PairPixelsPayload } from '../../shared/explanation.ts';

/** Pixel maps of one explanation as the pair view uses them: per image, one 8-bit map per match. */
export interface PixelMaps {
  width: number;
  height: number;
  kColors: number;
  /** maps[image][match]: width·height bytes, 255 at that map's maximum. */
  maps: [Uint8Array[], Uint8Array[]];
  maxima: [number[], number[]];
  /** The conservation guard over every pass, the pixel maps' included. */
  conservation: ConservationPayload;
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes the 8-bit base64 maps of `pairs.pixels` ([kColors,H,W] per image), checking their size. */
export function decodePixelMaps(payload: PairPixelsPayload): PixelMaps {
  const plane = payload.width * payload.height;
  const split = (base64: string, image: number): Uint8Array[] => {
    const bytes = base64ToBytes(base64);
    if (bytes.length !== payload.kColors * plane) {
      throw new Error(
        `pixel maps of image ${image}: ${bytes.length} bytes, expected ${payload.kColors}×${payload.height}×${payload.width}`,
      );
    }
    return Array.from({ length: payload.kColors }, (_, k) => bytes.subarray(k * plane, (k + 1) * plane));
  };
  return {
    width: payload.width,
    height: payload.height,
    kColors: payload.kColors,
    maps: [split(payload.maps[0], 0), split(payload.maps[1], 1)],
    maxima: payload.maxima,
    conservation: payload.conservation,
  };
}

/** Checks that a heat map has the layer's size (h·w values) before it is drawn. */
export function relevanceGrid(
  payload: PairMatchesPayload,
  image: 0 | 1,
): { values: number[]; width: number; height: number } {
  const { width, height } = payload.layer;
  const values = payload.relevanceMaps[image];
  if (values.length !== width * height)
    throw new Error(`heat map of image ${image}: ${values.length} values, expected ${height}×${width}`);
  return { values, width, height };
}
