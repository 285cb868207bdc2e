import { describe, expect, it } from 'vitest';
import { int64Tensor } from '../../src/main/onnx/ir.ts';
import { ModelSpec, attr, expectClose, randomArray, rng, runRelevance, stab, sum } from './harness.ts';

/**
 * The CP-LRP rules of PAIRX-TRANSFORMERS.md, each against a slow version written from its formula
 * (float64, plain loops), on random inputs with zeros and negative values.
 */

const N = 3; // tokens
const C = 4; // channels
const tokenDims = [1, N, C];

/** Per token: mean, σ = √(var + eps), y = (x − μ)/σ·γ + β. */
function layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number) {
  const y = new Float64Array(N * C);
  const sigma = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[n * C + c] / C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[n * C + c] - mean) ** 2 / C;
    sigma[n] = Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) y[n * C + c] = ((x[n * C + c] - mean) / sigma[n]) * gamma[c] + beta[c];
  }
  return { y, sigma };
}

/** ε with σ constant: S = R/stab(y); v = S·γ/σ; R_x = x·(v − mean_c v). */
function layerNormReference(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, seeds: Float32Array, k: number) {
  const { y, sigma } = layerNormForward(x, gamma, beta, eps);
  const relevance = new Float64Array(k * N * C);
  for (let s = 0; s < k; s++)
    for (let n = 0; n < N; n++) {
      const v = Array.from({ length: C }, (_, c) => ((seeds[(s * N + n) * C + c] / stab(y[n * C + c])) * gamma[c]) / sigma[n]);
      const mean = v.reduce((a, b) => a + b, 0) / C;
      for (let c = 0; c < C; c++) relevance[(s * N + n) * C + c] = x[n * C + c] * (v[c] - mean);
    }
  return relevance;
}

describe('LayerNormalization: ε with σ held constant', () => {
  it.each([
    { name: 'with a bias', zeroBias: false },
    { name: 'without a bias, conserving relevance', zeroBias: true },
  ])('matches x·Cᵀ(S·γ/σ) $name', async ({ zeroBias }) => {
    const random = rng(101);
    const k = 2;
    const x = randomArray(random, N * C);
    const gamma = randomArray(random, C, { zeros: 0 });
    const beta = zeroBias ? new Float32Array(C) : randomArray(random, C, { zeros: 0 });
    const m = new ModelSpec();
    m.node('LayerNormalization', ['image', m.float('gamma', [C], gamma), m.float('beta', [C], beta)], {
      attributes: { axis: attr.int(-1), epsilon: attr.float(1e-5) },
      outputs: ['embedding'],
    });
    const seeds = randomArray(random, k * N * C);
    const run = await runRelevance({ model: m.build(tokenDims, ['embedding']), input: x, inputDims: tokenDims, from: 'embedding', to: 'image', seeds, k });
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('layerNorm');
    const expected = layerNormReference(x, gamma, beta, 1e-5, seeds, k);
    expectClose(run.relevance, expected, { rtol: 1e-3, atol: 1e-5 });
    if (zeroBias) {
      for (let s = 0; s < k; s++) {
        const slice = (a: ArrayLike<number>) => sum(a, s * N * C, (s + 1) * N * C);
        expect(slice(run.relevance)).toBeCloseTo(slice(seeds), 3);
      }
    }
  });
});

describe('the decomposed layer norm of exports below opset 17', () => {
  it('(x − μ)/√(var + ε)·γ + β is one layer-norm unit with the same relevance', async () => {
    const random = rng(106);
    const k = 2;
    const x = randomArray(random, N * C);
    const gamma = randomArray(random, C, { zeros: 0 });
    const beta = randomArray(random, C, { zeros: 0 });
    const m = new ModelSpec();
    const mean = m.node('ReduceMean', ['image'], { attributes: { axes: attr.ints([-1]), keepdims: attr.int(1) } });
    const centred = m.node('Sub', ['image', mean]);
    const variance = m.node('ReduceMean', [m.node('Pow', [centred, m.float('two', [], [2])])], {
      attributes: { axes: attr.ints([-1]), keepdims: attr.int(1) },
    });
    const deviation = m.node('Sqrt', [m.node('Add', [variance, m.float('eps', [], [1e-5])])]);
    const normalised = m.node('Div', [centred, deviation]);
    const scaled = m.node('Mul', [normalised, m.float('gamma', [C], gamma)]);
    m.node('Add', [scaled, m.float('beta', [C], beta)], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * N * C);
    const run = await runRelevance({ model: m.build(tokenDims, ['embedding']), input: x, inputDims: tokenDims, from: 'embedding', to: 'image', seeds, k });
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('layerNorm');
    expectClose(run.relevance, layerNormReference(x, gamma, beta, 1e-5, seeds, k), { rtol: 1e-3, atol: 1e-5 });
  });
});

/** Softmax over the last axis of q·kᵀ with q = k = x (one head), per window. */
function attentionWeights(x: Float32Array, windows: number) {
  const weights = new Float64Array(windows * N * N);
  for (let w = 0; w < windows; w++)
    for (let i = 0; i < N; i++) {
      const logits = Array.from({ length: N }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < C; c++) dot += x[(w * N + i) * C + c] * x[(w * N + j) * C + c];
        return dot;
      });
      const top = Math.max(...logits);
      const exps = logits.map((l) => Math.exp(l - top));
      const total = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, j) => (weights[(w * N + i) * N + j] = e / total));
    }
  return weights;
}

/** A constant, ε on V: z = A·V; R_V = V·Aᵀ(R/stab(z)). */
function attentionReference(x: Float32Array, windows: number, seeds: Float32Array, k: number) {
  const A = attentionWeights(x, windows);
  const size = windows * N * C;
  const relevance = new Float64Array(k * size);
  for (let s = 0; s < k; s++)
    for (let w = 0; w < windows; w++) {
      const z = new Float64Array(N * C);
      for (let i = 0; i < N; i++)
        for (let j = 0; j < N; j++)
          for (let c = 0; c < C; c++) z[i * C + c] += A[(w * N + i) * N + j] * x[(w * N + j) * C + c];
      for (let j = 0; j < N; j++)
        for (let c = 0; c < C; c++) {
          let gradient = 0;
          for (let i = 0; i < N; i++) gradient += (A[(w * N + i) * N + j] * seeds[s * size + (w * N + i) * C + c]) / stab(z[i * C + c]);
          relevance[s * size + (w * N + j) * C + c] = x[(w * N + j) * C + c] * gradient;
        }
    }
  return relevance;
}

function attentionModel(m: ModelSpec, tokens: string) {
  const keys = m.node('Transpose', [tokens], { attributes: { perm: attr.ints([0, 2, 1]) } });
  const logits = m.node('MatMul', [tokens, keys]);
  const weights = m.node('Softmax', [logits], { attributes: { axis: attr.int(-1) } });
  return m.node('MatMul', [weights, tokens], { name: 'attention' });
}

describe('attention: the softmax weights held constant, ε on the values', () => {
  it('matches V·Aᵀ(R/stab(A·V)) and gives queries and keys nothing', async () => {
    const random = rng(102);
    const k = 3;
    const x = randomArray(random, N * C);
    const m = new ModelSpec();
    m.node('Identity', [attentionModel(m, 'image')], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * N * C);
    const run = await runRelevance({ model: m.build(tokenDims, ['embedding']), input: x, inputDims: tokenDims, from: 'embedding', to: 'image', seeds, k });
    expect(run.canonical.units.find((u) => u.node.name === 'attention')?.kind).toBe('attention');
    expectClose(run.relevance, attentionReference(x, 1, seeds, k), { rtol: 1e-3, atol: 1e-5 });
  });

  it('with windows folded into the leading axis (Swin), the weights broadcast over the seeds per window', async () => {
    const random = rng(103);
    const k = 3;
    const windows = 2;
    const dims = [1, windows, N, C];
    const x = randomArray(random, windows * N * C);
    const m = new ModelSpec();
    const folded = m.node('Reshape', ['image', m.int64('windowed', [windows, N, C])]);
    m.node('Reshape', [attentionModel(m, folded), m.int64('unfolded', [1, windows, N, C])], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * windows * N * C);
    const run = await runRelevance({ model: m.build(dims, ['embedding']), input: x, inputDims: dims, from: 'embedding', to: 'image', seeds, k });
    expect(run.relevanceDims).toEqual([k, windows, N, C]);
    expectClose(run.relevance, attentionReference(x, windows, seeds, k), { rtol: 1e-3, atol: 1e-5 });
  });
});

describe('identity and pass rules of transformers', () => {
  it.each([
    {
      name: "GELU's erf form x·0.5·(1 + erf(x/√2))",
      build: (m: ModelSpec) => {
        const erf = m.node('Erf', [m.node('Div', ['image', m.float('sqrt2', [], [Math.SQRT2])])]);
        const gelu = m.node('Mul', ['image', m.node('Add', [erf, m.float('one', [], [1])])]);
        m.node('Mul', [gelu, m.float('half', [], [0.5])], { outputs: ['embedding'] });
      },
    },
    {
      name: 'x·sigmoid(1.702x)',
      build: (m: ModelSpec) => {
        const gate = m.node('Sigmoid', [m.node('Mul', ['image', m.float('a', [], [1.702])])]);
        m.node('Mul', ['image', gate], { outputs: ['embedding'] });
      },
    },
    {
      name: "layer scale γ through Unsqueeze and Reshape of an initializer (ConvNeXt)",
      build: (m: ModelSpec) => {
        const gamma = m.node('Unsqueeze', [m.float('gamma', [C], [0.5, -2, 3, 0.1]), m.int64('axes', [0])]);
        const reshaped = m.node('Reshape', [gamma, m.int64('shape', [1, 1, C])]);
        m.node('Mul', ['image', m.node('Identity', [reshaped])], { outputs: ['embedding'] });
      },
    },
    {
      name: 'a position embedding added',
      build: (m: ModelSpec) => m.node('Add', ['image', m.float('position', tokenDims, randomArray(rng(9), N * C))], { outputs: ['embedding'] }),
    },
  ])('$name hands relevance on unchanged', async ({ build }) => {
    const random = rng(104);
    const k = 2;
    const m = new ModelSpec();
    build(m);
    const seeds = randomArray(random, k * N * C);
    const run = await runRelevance({ model: m.build(tokenDims, ['embedding']), input: randomArray(random, N * C), inputDims: tokenDims, from: 'embedding', to: 'image', seeds, k });
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
  });
});

describe('token routing: class tokens, gathers, strided slices, expand, tile', () => {
  const relevanceOf = async (m: ModelSpec, outDims: number[], k = 2, seedValues?: Float32Array) => {
    const random = rng(105);
    const seeds = seedValues ?? randomArray(random, k * outDims.slice(1).reduce((a, b) => a * b, 1));
    const x = randomArray(random, N * C);
    const run = await runRelevance({ model: m.build(tokenDims, ['embedding']), input: x, inputDims: tokenDims, from: 'embedding', to: 'image', seeds, k });
    expect(run.shapes.get('embedding')).toEqual(outDims);
    return { relevance: run.relevance, seeds, x, run };
  };

  it('Concat of a class token expanded over the batch: the patch tokens get their share, the constant none', async () => {
    const m = new ModelSpec();
    const batch = m.node('Slice', [m.node('Shape', ['image']), m.int64('s0', [0]), m.int64('s1', [1])]);
    const shape = m.node('Concat', [batch, m.int64('rest', [1, C])], { attributes: { axis: attr.int(0) } });
    const cls = m.node('Expand', [m.float('cls', [1, 1, C], [1, 2, 3, 4]), shape]);
    m.node('Concat', [cls, 'image'], { attributes: { axis: attr.int(1) }, outputs: ['embedding'] });
    const { relevance, seeds, run } = await relevanceOf(m, [1, N + 1, C]);
    expect(run.canonical.units.map((u) => u.node.opType)).toEqual(['Concat']);
    const expected = Array.from({ length: 2 }, (_, s) => Array.from(seeds.subarray((s * (N + 1) + 1) * C, (s + 1) * (N + 1) * C))).flat();
    expect(Array.from(relevance)).toEqual(expected);
  });

  it('Gather of one token (the class token selection x[:, 0])', async () => {
    const m = new ModelSpec();
    m.initializers.set('zero', int64Tensor('zero', [], [0]));
    m.node('Gather', ['image', 'zero'], { attributes: { axis: attr.int(1) }, outputs: ['embedding'] });
    const { relevance, seeds } = await relevanceOf(m, [1, C]);
    const expected = Array.from({ length: 2 }, (_, s) => [...seeds.subarray(s * C, (s + 1) * C), ...new Array((N - 1) * C).fill(0)]).flat();
    expect(Array.from(relevance)).toEqual(expected);
  });

  it('Gather of repeated channel indices adds the copies up (a scatter-add)', async () => {
    const taken = [2, 0, 2];
    const m = new ModelSpec();
    m.node('Gather', ['image', m.int64('taken', taken)], { attributes: { axis: attr.int(2) }, outputs: ['embedding'] });
    const { relevance, seeds } = await relevanceOf(m, [1, N, taken.length]);
    const expected = new Float64Array(2 * N * C);
    for (let s = 0; s < 2; s++)
      for (let n = 0; n < N; n++) taken.forEach((c, j) => (expected[(s * N + n) * C + c] += seeds[(s * N + n) * taken.length + j]));
    expectClose(relevance, expected, { rtol: 1e-6 });
  });

  it('q/k/v split: a transpose that moves the batch axis, then a gather along axis 0', async () => {
    // [1, N, 2·2] → [1, N, 2, 2] → [2, 1, N, 2] (the fused projection's parts first) → part 1: [1, N, 2].
    const m = new ModelSpec();
    const split = m.node('Reshape', ['image', m.int64('shape', [1, N, 2, 2])]);
    const parts = m.node('Transpose', [split], { attributes: { perm: attr.ints([2, 0, 1, 3]) } });
    m.initializers.set('one', int64Tensor('one', [], [1]));
    m.node('Gather', [parts, 'one'], { attributes: { axis: attr.int(0) }, outputs: ['embedding'] });
    const { relevance, seeds } = await relevanceOf(m, [1, N, 2]);
    const expected = new Float64Array(2 * N * C);
    for (let s = 0; s < 2; s++)
      for (let n = 0; n < N; n++) for (let d = 0; d < 2; d++) expected[(s * N + n) * C + 2 + d] = seeds[(s * N + n) * 2 + d];
    expect(Array.from(relevance)).toEqual(Array.from(expected));
  });

  it('a strided Slice (Swin patch merging, x[:, 1::2])', async () => {
    const m = new ModelSpec();
    m.node('Slice', ['image', m.int64('starts', [1]), m.int64('ends', [100]), m.int64('axes', [2]), m.int64('steps', [2])], { outputs: ['embedding'] });
    const { relevance, seeds } = await relevanceOf(m, [1, N, 2]);
    const expected = new Float64Array(2 * N * C);
    for (let s = 0; s < 2; s++) for (let n = 0; n < N; n++) for (let j = 0; j < 2; j++) expected[(s * N + n) * C + 1 + 2 * j] = seeds[(s * N + n) * 2 + j];
    expect(Array.from(relevance)).toEqual(Array.from(expected));
  });

  it('Expand sums relevance over the broadcast axis, Tile over the copies', async () => {
    const expand = new ModelSpec();
    const first = expand.node('Slice', ['image', expand.int64('s', [0]), expand.int64('e', [1]), expand.int64('a', [1])]);
    expand.node('Expand', [first, expand.int64('shape', [1, 5, C])], { outputs: ['embedding'] });
    const expanded = await relevanceOf(expand, [1, 5, C]);
    const tile = new ModelSpec();
    tile.node('Tile', ['image', tile.int64('repeats', [1, 2, 3])], { outputs: ['embedding'] });
    const tiled = await relevanceOf(tile, [1, 2 * N, 3 * C]);
    for (let s = 0; s < 2; s++)
      for (let c = 0; c < C; c++) {
        let total = 0;
        for (let n = 0; n < 5; n++) total += expanded.seeds[(s * 5 + n) * C + c];
        expect(expanded.relevance[s * N * C + c]).toBeCloseTo(total, 5);
        for (let n = 0; n < N; n++) {
          let copies = 0;
          for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) copies += tiled.seeds[(s * 2 * N + i * N + n) * 3 * C + j * C + c];
          expect(tiled.relevance[(s * N + n) * C + c]).toBeCloseTo(copies, 5);
        }
      }
  });

  it('ReduceMean over the tokens (a mean-token embedding) is norm: x·meanᵀ(R/stab(mean x))', async () => {
    const m = new ModelSpec();
    m.node('ReduceMean', ['image'], { attributes: { axes: attr.ints([1]), keepdims: attr.int(0) }, outputs: ['embedding'] });
    const { relevance, seeds, x, run } = await relevanceOf(m, [1, C]);
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('avgpool');
    const expected = new Float64Array(2 * N * C);
    for (let c = 0; c < C; c++) {
      let mean = 0;
      for (let n = 0; n < N; n++) mean += x[n * C + c] / N;
      for (let s = 0; s < 2; s++) for (let n = 0; n < N; n++) expected[(s * N + n) * C + c] = (x[n * C + c] * seeds[s * C + c]) / stab(mean) / N;
    }
    expectClose(relevance, expected, { rtol: 1e-4, atol: 1e-6 });
  });
});
