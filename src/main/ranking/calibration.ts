import { CalibrationWeights } from '../../shared/api.ts';

/**
 * The probability that two individuals are one animal, from what the queue knows of their best-matching
 * pair of annotations: a logistic model over the cosine similarity, the PAIR-X plausibility where it was
 * computed, and the two individuals' sizes (the best of many member pairs is high by chance alone, so a
 * larger product of sizes needs a higher similarity for the same probability).
 */
export { CalibrationWeights };

/** The features of a pair of individuals, as the queue sees it. */
export interface PairFeatures {
  similarity: number;
  plausibility: number | null;
  sizeA: number;
  sizeB: number;
}

export interface Sample extends PairFeatures {
  same: boolean;
  /**
   * The probability that the label is wrong: a reviewer's error rate (1 − accuracy) for an answer, 0 for
   * a name a person gave. A noisy label is fitted as one: P(answer "same") = ε + (1 − 2ε)·p, so that a
   * reviewer's slips do not flatten the curve (a plain fit would learn that even unlike pairs are one
   * animal as often as the reviewer errs).
   */
  noise?: number;
}

const KEYS = ['intercept', 'similarity', 'plausibility', 'plausibilityMissing', 'logSizes'] as const;

/**
 * Where a model card has no prior: a weak guess (a cosine of about 0.9 as even odds), which the
 * catalog's own decisions correct after a few dozen answers.
 */
export const GENERIC_PRIOR: CalibrationWeights = {
  intercept: -7,
  similarity: 8,
  plausibility: 2,
  // The plausibility weight times a typical inlier ratio (about 0.5 on nyala pairs), so that a pair is neither favoured nor
  // held back by whether its explanation has been computed yet.
  plausibilityMissing: 1,
  logSizes: -0.2,
};

function featureVector(features: PairFeatures): number[] {
  const has = features.plausibility !== null;
  return [
    1,
    features.similarity,
    has ? features.plausibility! : 0,
    has ? 0 : 1,
    Math.log(features.sizeA * features.sizeB),
  ];
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function logit(weights: CalibrationWeights, features: PairFeatures): number {
  const x = featureVector(features);
  return KEYS.reduce((sum, key, i) => sum + weights[key] * x[i], 0);
}

export function probability(weights: CalibrationWeights, features: PairFeatures): number {
  return sigmoid(logit(weights, features));
}

/**
 * Fits the weights to samples (the catalog's decisions and the pairs its imported names settle) as the
 * maximum a posteriori logistic regression under a Gaussian prior centred on `prior`: with few samples
 * the prior holds, and each answer moves the weights a little. `priorStrength` is the prior's
 * precision per weight, about the weight of that many samples; `held` names weights kept at the prior
 * (the review queue holds the sizes' weight: answers to its questions come mostly from small
 * individuals, and a free weight there fed back into which individuals it asks about). Fisher scoring
 * (Newton's method where no label is noisy); five weights, so each step solves a 5×5 system.
 */
export function fitCalibration(
  samples: readonly Sample[],
  prior: CalibrationWeights,
  priorStrength = 4,
  held: readonly (keyof CalibrationWeights)[] = [],
): CalibrationWeights {
  const d = KEYS.length;
  const w0 = KEYS.map((key) => prior[key]);
  const w = [...w0];
  const strength = KEYS.map((key) => (held.includes(key) ? 1e9 : priorStrength));
  const xs = samples.map(featureVector);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = w.map((wi, i) => strength[i] * (wi - w0[i]));
    const hessian = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => (i === j ? strength[i] : 0)),
    );
    xs.forEach((x, s) => {
      const p = sigmoid(x.reduce((sum, xi, i) => sum + xi * w[i], 0));
      const y = samples[s].same ? 1 : 0;
      const noise = Math.min(0.45, Math.max(0, samples[s].noise ?? 0));
      let residual: number;
      let curvature: number;
      if (noise === 0) {
        residual = p - y;
        curvature = Math.max(p * (1 - p), 1e-9);
      } else {
        // d(−log-likelihood)/dz and the Fisher information of the noisy label.
        const q = noise + (1 - 2 * noise) * p;
        const slope = (1 - 2 * noise) * p * (1 - p);
        residual = -slope * (y / q - (1 - y) / (1 - q));
        curvature = Math.max((slope * slope) / (q * (1 - q)), 1e-9);
      }
      for (let i = 0; i < d; i++) {
        gradient[i] += residual * x[i];
        for (let j = 0; j < d; j++) hessian[i][j] += curvature * x[i] * x[j];
      }
    });
    const step = solve(hessian, gradient);
    let largest = 0;
    for (let i = 0; i < d; i++) {
      w[i] -= step[i];
      largest = Math.max(largest, Math.abs(step[i]));
    }
    if (largest < 1e-8) break;
  }
  // A literal of one shape (not Object.fromEntries): the queue reads these weights in its hot loop.
  return { intercept: w[0], similarity: w[1], plausibility: w[2], plausibilityMissing: w[3], logSizes: w[4] };
}

/** Gaussian elimination with partial pivoting (the system is small and positive definite). */
function solve(matrix: number[][], vector: number[]): number[] {
  const n = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= factor * a[col][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = a[row][n];
    for (let k = row + 1; k < n; k++) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}
