/**
 * The colour maps of the reference picture, as 0–1 RGB functions of a value in [0, 1]. Shared: the PNG
 * renderer (src/main/render) and the interactive pair view (src/renderer) draw with the same colours.
 */
export type ColorMap = (value: number) => [number, number, number];

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** OpenCV's COLORMAP_JET (the reference colours its heat maps with cv2.applyColorMap). */
export const jet: ColorMap = (v) => [
  clamp01(1.5 - Math.abs(4 * v - 3)),
  clamp01(1.5 - Math.abs(4 * v - 2)),
  clamp01(1.5 - Math.abs(4 * v - 1)),
];

/** matplotlib's ColorBrewer sequential maps: nine colours, linearly interpolated. */
const BREWER: Record<string, string[]> = {
  Greys: ['ffffff', 'f0f0f0', 'd9d9d9', 'bdbdbd', '969696', '737373', '525252', '252525', '000000'],
  Purples: ['fcfbfd', 'efedf5', 'dadaeb', 'bcbddc', '9e9ac8', '807dba', '6a51a3', '54278f', '3f007d'],
  Blues: ['f7fbff', 'deebf7', 'c6dbef', '9ecae1', '6baed6', '4292c6', '2171b5', '08519c', '08306b'],
  Greens: ['f7fcf5', 'e5f5e0', 'c7e9c0', 'a1d99b', '74c476', '41ab5d', '238b45', '006d2c', '00441b'],
  Oranges: ['fff5eb', 'fee6ce', 'fdd0a2', 'fdae6b', 'fd8d3c', 'f16913', 'd94801', 'a63603', '7f2704'],
  Reds: ['fff5f0', 'fee0d2', 'fcbba1', 'fc9272', 'fb6a4a', 'ef3b2c', 'cb181d', 'a50f15', '67000d'],
};

function sequential(name: string): ColorMap {
  const stops = BREWER[name].map((hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255));
  // matplotlib samples the map into a 256-entry table; index = floor(v·256) clipped.
  const table = Array.from({ length: 256 }, (_, i) => {
    const position = (i / 255) * (stops.length - 1);
    const lower = Math.min(Math.floor(position), stops.length - 2);
    const t = position - lower;
    return stops[lower].map((c, j) => c + (stops[lower + 1][j] - c) * t) as [number, number, number];
  });
  return (v) => table[Math.min(255, Math.max(0, Math.floor(v * 256)))];
}

/** The sequential maps of the pixel-relevance row, one per match, cycling (docs/PAIRX.md step 7). */
export const MATCH_COLOR_MAP_NAMES = ['Greys', 'Purples', 'Blues', 'Greens', 'Oranges', 'Reds'] as const;
export const MATCH_COLOR_MAPS = MATCH_COLOR_MAP_NAMES.map(sequential);
/** matplotlib's named colours Grey, Purple, Blue, Green, Orange, Red, as the reference cycles them. */
export const MATCH_LINE_COLORS = ['#808080', '#800080', '#0000ff', '#008000', '#ffa500', '#ff0000'];
