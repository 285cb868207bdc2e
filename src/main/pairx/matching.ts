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
  // Four positions of `b` per pass over a position of `a`: each of its values is loaded once for four
  // products, which halves the time of this, the step's only quadratic loop (28×28 grids of 192 channels).
  const m4 = m - (m % 4);
  for (let p = 0; p < n; p++) {
    const pa = p * c;
    const row = p * m;
    for (let q = 0; q < m4; q += 4) {
      const q0 = q * c;
      const q1 = q0 + c;
      const q2 = q1 + c;
      const q3 = q2 + c;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      for (let ch = 0; ch < c; ch++) {
        const x = ta[pa + ch];
        d0 += x * tb[q0 + ch];
        d1 += x * tb[q1 + ch];
        d2 += x * tb[q2 + ch];
        d3 += x * tb[q3 + ch];
      }
      out[row + q] = Math.max(0, na[p] + nb[q] - 2 * d0);
      out[row + q + 1] = Math.max(0, na[p] + nb[q + 1] - 2 * d1);
      out[row + q + 2] = Math.max(0, na[p] + nb[q + 2] - 2 * d2);
      out[row + q + 3] = Math.max(0, na[p] + nb[q + 3] - 2 * d3);
    }
    for (let q = m4; q < m; q++) {
      const qb = q * c;
      let dot = 0;
      for (let ch = 0; ch < c; ch++) dot += ta[pa + ch] * tb[qb + ch];
      out[row + q] = Math.max(0, na[p] + nb[q] - 2 * dot);
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
