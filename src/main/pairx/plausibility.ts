import type { Match, Plausibility } from './explanation.ts';

type Point = [number, number];
type Homography = Float64Array; // 3×3 row-major

/** Deterministic so that the same explanation always scores the same. */
function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Solves A·x = b (n×n) by Gaussian elimination with partial pivoting; null when singular. */
function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    if (Math.abs(a[pivot][col]) < 1e-12) return null;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    for (let row = col + 1; row < n; row++) {
      const f = a[row][col] / a[col][col];
      for (let k = col; k < n; k++) a[row][k] -= f * a[col][k];
      b[row] -= f * b[col];
    }
  }
  const x = new Array(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row];
    for (let k = row + 1; k < n; k++) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}

/** Least-squares homography with h33 = 1 (normal equations of the DLT), from ≥ 4 correspondences. */
export function fitHomography(from: Point[], to: Point[]): Homography | null {
  const ata = Array.from({ length: 8 }, () => new Array(8).fill(0));
  const atb = new Array(8).fill(0);
  for (let i = 0; i < from.length; i++) {
    const [x, y] = from[i];
    const [u, v] = to[i];
    const rows = [
      { r: [x, y, 1, 0, 0, 0, -u * x, -u * y], b: u },
      { r: [0, 0, 0, x, y, 1, -v * x, -v * y], b: v },
    ];
    for (const { r, b } of rows) {
      for (let j = 0; j < 8; j++) {
        atb[j] += r[j] * b;
        for (let k = 0; k < 8; k++) ata[j][k] += r[j] * r[k];
      }
    }
  }
  const h = solve(ata, atb);
  return h ? Float64Array.from([...h, 1]) : null;
}

export function project(h: Homography, [x, y]: Point): Point {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

export function measurePlausibility(
  matches: Match[],
  width: number,
  height: number,
  options: { iterations?: number; threshold?: number } = {},
): Plausibility | null {
  if (matches.length < 5) return null;
  const diagonal = Math.hypot(width, height);
  const threshold = (options.threshold ?? 0.05) * diagonal;
  const from = matches.map((m) => m.point0);
  const to = matches.map((m) => m.point1);
  const errors = (h: Homography) =>
    from.map((p, i) => {
      const [u, v] = project(h, p);
      const e = Math.hypot(u - to[i][0], v - to[i][1]);
      return Number.isFinite(e) ? e : Infinity;
    });
  const random = mulberry32(matches.length * 7919);
  let bestInliers: number[] = [];
  for (let iteration = 0; iteration < (options.iterations ?? 300); iteration++) {
    const sample = new Set<number>();
    while (sample.size < 4) sample.add(Math.floor(random() * matches.length));
    const indices = [...sample];
    const h = fitHomography(indices.map((i) => from[i]), indices.map((i) => to[i]));
    if (!h) continue;
    const inliers = errors(h).flatMap((e, i) => (e <= threshold ? [i] : []));
    if (inliers.length > bestInliers.length) bestInliers = inliers;
  }
  let final = bestInliers.length >= 4 ? fitHomography(bestInliers.map((i) => from[i]), bestInliers.map((i) => to[i])) : null;
  if (!final) final = fitHomography(from, to);
  if (!final) return { inlierRatio: 0, medianError: 1, matchesUsed: matches.length };
  const finalErrors = errors(final).sort((a, b) => a - b);
  const middle = finalErrors.length / 2;
  const median =
    finalErrors.length % 2 ? finalErrors[Math.floor(middle)] : (finalErrors[middle - 1] + finalErrors[middle]) / 2;
  const inliers = finalErrors.filter((e) => e <= threshold).length;
  return {
    inlierRatio: Math.max(inliers, bestInliers.length) / matches.length,
    medianError: Math.min(1, median / diagonal),
    matchesUsed: matches.length,
  };
}
