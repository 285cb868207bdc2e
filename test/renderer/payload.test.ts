import { describe, expect, it } from 'vitest';
import type { PairMatchesPayload, PairPixelsPayload } from '../../src/shared/explanation.ts';
import { base64ToBytes, decodePixelMaps, relevanceGrid } from '../../src/renderer/lib/payload.ts';

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const pass = { seed: 1, relevance: 1, error: 0 };
const conservation: PairPixelsPayload['conservation'] = { layer: [pass, pass], pixels: [[], []], worstLayer: 0, worstPixels: 0, worst: 0, bounds: { layer: 100, pixels: 10 }, faithful: true };

describe('explanation payload decoding', () => {
  it('decodes base64 like the main process encodes it (Buffer)', () => {
    const bytes = Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    expect([...base64ToBytes(b64(bytes))]).toEqual(bytes);
  });

  it('splits the 8-bit maps per image and per match', () => {
    const payload: PairPixelsPayload = {
      a: 1,
      b: 2,
      kColors: 2,
      width: 3,
      height: 2,
      maps: [
        b64([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]),
        b64([20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 255]),
      ],
      maxima: [
        [0.5, 0.25],
        [1, 2],
      ],
      warnings: [],
      conservation,
      pixelMs: 3,
    };
    const decoded = decodePixelMaps(payload);
    expect(decoded.kColors).toBe(2);
    expect([...decoded.maps[0][1]]).toEqual([10, 11, 12, 13, 14, 15]);
    expect([...decoded.maps[1][0]]).toEqual([20, 21, 22, 23, 24, 25]);
    expect(decoded.maps[1][1][5]).toBe(255);
    expect(decoded.maxima[1]).toEqual([1, 2]);
  });

  it('refuses maps of the wrong size instead of drawing garbage', () => {
    const payload: PairPixelsPayload = {
      a: 1,
      b: 2,
      kColors: 1,
      width: 2,
      height: 2,
      maps: [b64([1, 2, 3]), b64([1, 2, 3, 4])],
      maxima: [[1], [1]],
      warnings: [],
      conservation,
      pixelMs: 0,
    };
    expect(() => decodePixelMaps(payload)).toThrow(/image 0: 3 bytes, expected 1×2×2/);
  });

  it('checks heat maps against the layer size', () => {
    const matches = {
      layer: { key: 'layer3', tensor: 't', channels: 8, height: 2, width: 2 },
      relevanceMaps: [
        [1, 2, 3, 4],
        [1, 2, 3],
      ],
    } as unknown as PairMatchesPayload;
    expect(relevanceGrid(matches, 0)).toEqual({ values: [1, 2, 3, 4], width: 2, height: 2 });
    expect(() => relevanceGrid(matches, 1)).toThrow(/image 1/);
  });
});
