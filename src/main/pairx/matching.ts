import type { Match } from './explanation.ts';

/**
 * PAIR-X steps 4 and 5: mutual nearest neighbours between the feature vectors of two feature maps
 * (raw activations, L2 distance), ranked by the product of the two intermediate relevances.
 */
export interface FeatureGrid {
  /** [C, h, w], channel-major as the model produces it. */
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/**
 * Squared L2 distances between every position of `a` and of `b`, as an [n, m] row-major matrix:
 * |x|² + |y|² − 2x·y in float64, which is exact to ~1e-12 relative here and needs one multiply-add per
 * channel instead of three operations.
 */
function pairwiseSquaredDistances(a: FeatureGrid, b: FeatureGrid): Float64Array {
  const n = a.height * a.width;
  const m = b.height * b.width;
  const c = a.channels;
  // Position-major copies make the inner loop contiguous.
  const transpose = (g: FeatureGrid, count: number) => {
    const t = new Float64Array(count * c);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < count; p++) t[p * c + ch] = g.data[ch * count + p];
    return t;
  };
  const squaredNorms = (t: Float64Array, count: number) => {
    const norms = new Float64Array(count);
    for (let p = 0; p < count; p++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) sum += t[p * c + ch] * t[p * c + ch];
      norms[p] = sum;
    }
    return norms;
  };
  const ta = transpose(a, n);
  const tb = transpose(b, m);
  const na = squaredNorms(ta, n);
  const nb = squaredNorms(tb, m);
  const out = new Float64Array(n * m);
  for (let p = 0; p < n; p++) {
    const pa = p * c;
    for (let q = 0; q < m; q++) {
      const qb = q * c;
      let dot = 0;
      for (let ch = 0; ch < c; ch++) dot += ta[pa + ch] * tb[qb + ch];
      out[p * m + q] = Math.max(0, na[p] + nb[q] - 2 * dot);
    }
  }
  return out;
}

export function mutualNearestNeighbours(
  f0: FeatureGrid,
  f1: FeatureGrid,
  relevance0: Float32Array,
  relevance1: Float32Array,
  inputWidth: number,
  inputHeight: number,
): Match[] {
  const n = f0.height * f0.width;
  const m = f1.height * f1.width;
  const distances = pairwiseSquaredDistances(f0, f1);
  const nearestIn1 = new Int32Array(n);
  const nearestIn0 = new Int32Array(m).fill(-1);
  const best0 = new Float64Array(m).fill(Infinity);
  for (let p = 0; p < n; p++) {
    let best = Infinity;
    let arg = 0;
    for (let q = 0; q < m; q++) {
      const d = distances[p * m + q];
      if (d < best) {
        best = d;
        arg = q;
      }
      if (d < best0[q]) {
        best0[q] = d;
        nearestIn0[q] = p;
      }
    }
    nearestIn1[p] = arg;
  }
  const point = (x: number, y: number, g: FeatureGrid): [number, number] => [
    ((x + 0.5) * inputWidth) / g.width,
    ((y + 0.5) * inputHeight) / g.height,
  ];
  const matches: Match[] = [];
  for (let p = 0; p < n; p++) {
    const q = nearestIn1[p];
    if (nearestIn0[q] !== p) continue;
    const x0 = p % f0.width;
    const y0 = Math.floor(p / f0.width);
    const x1 = q % f1.width;
    const y1 = Math.floor(q / f1.width);
    matches.push({
      coord0: [x0, y0],
      coord1: [x1, y1],
      point0: point(x0, y0, f0),
      point1: point(x1, y1, f1),
      distance: Math.sqrt(distances[p * m + q]),
      relevance: relevance0[p] * relevance1[q],
    });
  }
  // Array.prototype.sort is stable, as the reference's ordering needs.
  return matches.sort((a, b) => b.relevance - a.relevance);
}
