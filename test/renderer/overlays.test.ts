import { describe, expect, it } from 'vitest';
import { jet, MATCH_COLOR_MAPS, MATCH_LINE_COLORS } from '../../src/shared/colormaps.ts';
import {
  colorTable,
  heatMapPixels,
  lineColor,
  pixelMapPixels,
  pixelMapsComposite,
  PIXEL_GAMMA,
  PIXEL_OPACITY_EXPONENT,
} from '../../src/renderer/lib/overlays.ts';

describe('colour maps of the pair view', () => {
  it('cycles the line colours grey, purple, blue, green, orange, red', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 13].map(lineColor)).toEqual([
      ...MATCH_LINE_COLORS,
      MATCH_LINE_COLORS[0],
      MATCH_LINE_COLORS[1],
    ]);
    expect(MATCH_LINE_COLORS).toEqual(['#808080', '#800080', '#0000ff', '#008000', '#ffa500', '#ff0000']);
  });

  it('samples jet like OpenCV: dark blue at 0, green-ish in the middle, dark red at 1', () => {
    const table = colorTable(jet);
    expect([...table.subarray(0, 3)]).toEqual([0, 0, 128]);
    expect([...table.subarray(255 * 3, 255 * 3 + 3)]).toEqual([128, 0, 0]);
    const middle = [...table.subarray(128 * 3, 128 * 3 + 3)];
    expect(middle[1]).toBeGreaterThan(200);
  });

  it('min–max scales the heat map into jet, opaque', () => {
    const pixels = heatMapPixels([2, 4, 6, 8], 2, 2);
    expect(pixels.length).toBe(16);
    expect([...pixels.subarray(0, 4)]).toEqual([0, 0, 128, 255]); // minimum → jet(0)
    expect([...pixels.subarray(12, 16)]).toEqual([128, 0, 0, 255]); // maximum → jet(1)
    // A constant map has no contrast: everything at the bottom of the scale, not NaN.
    expect([...heatMapPixels([3, 3], 2, 1).subarray(0, 4)]).toEqual([0, 0, 128, 255]);
  });

  it('draws a pixel map as a stain in its match’s sequential map, transparent where relevance is zero', () => {
    const map = new Uint8Array([0, 64, 255]);
    const reds = pixelMapPixels(map, 5);
    expect(reds[3]).toBe(0);
    const [r, g, b] = MATCH_COLOR_MAPS[5](1).map((c) => Math.round(c * 255));
    expect([...reds.subarray(8, 11)]).toEqual([r, g, b]);
    expect(reds[11]).toBe(Math.round(255 * 0.9));
    // Faint relevance is faint (square-root opacity) but never the near-white end of the map.
    expect(reds[7]).toBe(Math.round(255 * 0.9 * Math.pow(64 / 255, PIXEL_OPACITY_EXPONENT)));
    expect(reds[4]).toBeLessThan(250);
    // Rank 6 wraps to Greys, like the reference.
    expect([...pixelMapPixels(map, 6).subarray(8, 11)]).toEqual(
      MATCH_COLOR_MAPS[0](1).map((c) => Math.round(c * 255)),
    );
    expect(PIXEL_GAMMA).toBe(0.95);
  });

  it('blends several pixel maps by their strength, with the strongest one’s opacity', () => {
    const composite = pixelMapsComposite([new Uint8Array([0, 255, 0]), new Uint8Array([0, 255, 100])]);
    expect(composite[3]).toBe(0); // nothing relevant: transparent
    const greys = pixelMapPixels(new Uint8Array([255]), 0);
    const purples = pixelMapPixels(new Uint8Array([255]), 1);
    [0, 1, 2].forEach((c) =>
      expect(Math.abs(composite[4 + c] - (greys[c] + purples[c]) / 2)).toBeLessThanOrEqual(1),
    );
    expect(composite[7]).toBe(greys[3]);
    // Where only one map has relevance, its own stain shows.
    expect([...composite.subarray(8, 12)]).toEqual([...pixelMapPixels(new Uint8Array([100]), 1)]);
  });
});
