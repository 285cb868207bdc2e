import { describe, expect, it } from 'vitest';
import { ModelSpec, attr, expectClose, product, randomArray, rng, runRelevance, stab } from './harness.ts';

/**
 * ε rule (PAIRX.md): z = xWᵀ + b; R_in = x·(R/stab(z))W. `matrix` is the effective [in, out] matrix M
 * with z = x·M + bias.
 */
function epsilonReference(
  x: ArrayLike<number>,
  matrix: ArrayLike<number>,
  inSize: number,
  outSize: number,
  bias: ArrayLike<number> | undefined,
  seeds: ArrayLike<number>,
  k: number,
) {
  const z = new Float64Array(outSize);
  const zMagnitude = new Float64Array(outSize);
  for (let j = 0; j < outSize; j++) {
    z[j] = bias ? bias[j] : 0;
    zMagnitude[j] = bias ? Math.abs(bias[j]) : 0;
    for (let i = 0; i < inSize; i++) {
      z[j] += x[i] * matrix[i * outSize + j];
      zMagnitude[j] += Math.abs(x[i] * matrix[i * outSize + j]);
    }
  }
  const relevance = new Float64Array(k * inSize);
  const magnitude = new Float64Array(k * inSize);
  for (let s = 0; s < k; s++)
    for (let j = 0; j < outSize; j++) {
      const S = seeds[s * outSize + j] / stab(z[j]);
      for (let i = 0; i < inSize; i++) {
        relevance[s * inSize + i] += x[i] * matrix[i * outSize + j] * S;
        magnitude[s * inSize + i] += Math.abs(x[i] * matrix[i * outSize + j] * S);
      }
    }
  return { z, zMagnitude, relevance, magnitude };
}

const inputDims = [1, 2, 3, 4];
const inSize = 24;
const outSize = 5;

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
  return out;
}

async function linearCase(
  build: (m: ModelSpec, flat: string, matrix: Float32Array, bias: Float32Array) => void,
  options: { seed: number; k?: number; bias: boolean; scale?: number },
) {
  const random = rng(options.seed);
  const k = options.k ?? 3;
  const image = randomArray(random, inSize);
  const matrix = randomArray(random, inSize * outSize, { zeros: 0.1 }); // [in, out]
  const bias = randomArray(random, outSize, { zeros: 0 });
  const m = new ModelSpec();
  const flat = m.node('Flatten', ['image'], { attributes: { axis: attr.int(1) } });
  build(m, flat, matrix, bias);
  const model = m.build(inputDims, ['embedding']);
  const seeds = randomArray(random, k * outSize, { zeros: 0.1 });
  const run = await runRelevance({
    model,
    input: image,
    inputDims,
    from: 'embedding',
    to: 'image',
    seeds,
    k,
  });
  const factor = options.scale ?? 1;
  const effective = matrix.map((v) => v * factor);
  const reference = epsilonReference(
    image,
    effective,
    inSize,
    outSize,
    options.bias ? bias : undefined,
    seeds,
    k,
  );
  return { run, reference, k };
}

function checkWellConditioned(reference: { z: Float64Array; zMagnitude: Float64Array }) {
  // Precondition on the random data: no denominator is a near-cancellation.
  for (let j = 0; j < reference.z.length; j++)
    expect(Math.abs(reference.z[j])).toBeGreaterThan(2e-2 * reference.zMagnitude[j]);
}

describe('ε rule for Gemm and MatMul', () => {
  it('Gemm transB 1 (weight [out, in]) with bias', async () => {
    const { run, reference, k } = await linearCase(
      (m, flat, matrix, bias) => {
        m.node(
          'Gemm',
          [
            flat,
            m.float('W', [outSize, inSize], transpose(matrix, inSize, outSize)),
            m.float('B', [outSize], bias),
          ],
          {
            attributes: { transB: attr.int(1) },
            outputs: ['embedding'],
          },
        );
      },
      { seed: 1, bias: true },
    );
    checkWellConditioned(reference);
    expect(run.relevanceDims).toEqual([k, ...inputDims.slice(1)]);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('Gemm transB 0 (weight [in, out]) without bias', async () => {
    const { run, reference } = await linearCase(
      (m, flat, matrix) => {
        m.node('Gemm', [flat, m.float('W', [inSize, outSize], matrix)], { outputs: ['embedding'] });
      },
      { seed: 2, bias: false },
    );
    checkWellConditioned(reference);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('Gemm transB 0 with bias, alpha 2 and beta 0.5 (z = αxW + βb)', async () => {
    const { run, reference } = await linearCase(
      (m, flat, matrix, bias) => {
        m.node(
          'Gemm',
          [
            flat,
            m.float('W', [inSize, outSize], matrix),
            m.float(
              'B',
              [outSize],
              bias.map((v) => v * 2),
            ),
          ],
          {
            attributes: { alpha: attr.float(2), beta: attr.float(0.5) },
            outputs: ['embedding'],
          },
        );
      },
      { seed: 3, bias: true, scale: 2 },
    );
    checkWellConditioned(reference);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('MatMul + constant Add is one linear unit whose bias enters the denominator', async () => {
    const { run, reference } = await linearCase(
      (m, flat, matrix, bias) => {
        const mm = m.node('MatMul', [flat, m.float('W', [inSize, outSize], matrix)], { name: 'matmul' });
        m.node('Add', [mm, m.float('B', [outSize], bias)], { name: 'bias_add', outputs: ['embedding'] });
      },
      { seed: 4, bias: true },
    );
    checkWellConditioned(reference);
    const linear = run.canonical.units.filter((u) => u.kind === 'linear');
    expect(linear).toHaveLength(1);
    expect(linear[0].node.name).toBe('matmul');
    expect(linear[0].outputs).toEqual(['embedding']);
    expect(run.canonical.units.some((u) => u.node.name === 'bias_add')).toBe(false);
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('linear');
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('MatMul + Add with the bias as the first Add input', async () => {
    const { run, reference } = await linearCase(
      (m, flat, matrix, bias) => {
        const mm = m.node('MatMul', [flat, m.float('W', [inSize, outSize], matrix)], { name: 'matmul' });
        m.node('Add', [m.float('B', [outSize], bias), mm], { name: 'bias_add', outputs: ['embedding'] });
      },
      { seed: 5, bias: true },
    );
    checkWellConditioned(reference);
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('linear');
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('MatMul without a bias', async () => {
    const { run, reference } = await linearCase(
      (m, flat, matrix) => {
        m.node('MatMul', [flat, m.float('W', [inSize, outSize], matrix)], { outputs: ['embedding'] });
      },
      { seed: 6, bias: false },
    );
    checkWellConditioned(reference);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('the stabiliser: stab(0) = +1e-6, stab(±2e-6) = ±3e-6', async () => {
    // x = 1 everywhere (through Flatten); rows of W chosen so z = 0 exactly, z = 2e-6 and z = −2e-6.
    const n = 6;
    const dims = [1, 1, 1, n];
    const W = new Float32Array(3 * n);
    W[0 * n + 0] = 1;
    W[0 * n + 1] = -1; // z0 = 1 − 1 = 0
    W[1 * n + 2] = 2e-6; // z1 = 2e-6
    W[2 * n + 4] = -2e-6; // z2 = −2e-6
    const m = new ModelSpec();
    const flat = m.node('Flatten', ['image']);
    m.node('Gemm', [flat, m.float('W', [3, n], W)], {
      attributes: { transB: attr.int(1) },
      outputs: ['embedding'],
    });
    const model = m.build(dims, ['embedding']);
    const seeds = Float32Array.from([0.5, 0.3, -0.6, -2, 0.9, 0.75]); // k = 2
    const run = await runRelevance({
      model,
      input: new Float32Array(n).fill(1),
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k: 2,
    });
    const f32 = (v: number) => Math.fround(v);
    const expected = [];
    for (let s = 0; s < 2; s++) {
      const [r0, r1, r2] = seeds.subarray(s * 3, s * 3 + 3);
      const w1 = f32(2e-6);
      const w2 = f32(-2e-6);
      expected.push(r0 / 1e-6, -r0 / 1e-6, (w1 * r1) / (w1 + 1e-6), 0, (w2 * r2) / (w2 - 1e-6), 0);
    }
    expectClose(run.relevance, expected, { rtol: 1e-4 });
    // Spelled out: the zero denominator gives +R/1e-6 (not −, not ∞), the small ones ≈ 2/3 of R.
    expect(run.relevance[0]).toBeCloseTo(5e5, -1);
    expect(run.relevance[2]).toBeCloseTo((2 / 3) * 0.3, 4);
    expect(run.relevance[4]).toBeCloseTo((2 / 3) * -0.6, 4);
  });

  it('relevance flows through a chain Gemm → Relu → Gemm (ε twice)', async () => {
    const random = rng(7);
    const k = 2;
    const hidden = 6;
    const image = randomArray(random, inSize);
    const w1 = randomArray(random, inSize * hidden, { zeros: 0.1 });
    const b1 = randomArray(random, hidden, { zeros: 0 });
    const w2 = randomArray(random, hidden * outSize, { zeros: 0.1 });
    const b2 = randomArray(random, outSize, { zeros: 0 });
    const m = new ModelSpec();
    const flat = m.node('Flatten', ['image']);
    const h = m.node('Gemm', [flat, m.float('W1', [inSize, hidden], w1), m.float('B1', [hidden], b1)]);
    const r = m.node('Relu', [h]);
    m.node('Gemm', [r, m.float('W2', [hidden, outSize], w2), m.float('B2', [outSize], b2)], {
      outputs: ['embedding'],
    });
    const model = m.build(inputDims, ['embedding']);
    const seeds = randomArray(random, k * outSize);
    const run = await runRelevance({
      model,
      input: image,
      inputDims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    const hiddenValues = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      hiddenValues[j] = b1[j];
      for (let i = 0; i < inSize; i++) hiddenValues[j] += image[i] * w1[i * hidden + j];
    }
    const relu = Float32Array.from(hiddenValues, (v) => Math.max(v, 0));
    const top = epsilonReference(relu, w2, hidden, outSize, b2, seeds, k);
    checkWellConditioned(top);
    const bottom = epsilonReference(image, w1, inSize, hidden, b1, top.relevance, k);
    checkWellConditioned(bottom);
    expectClose(run.relevance, bottom.relevance, { rtol: 2e-4, scale: bottom.magnitude });
    expect(product(run.relevanceDims)).toBe(k * inSize);
  });
});
