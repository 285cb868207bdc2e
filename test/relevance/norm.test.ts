import { describe, expect, it } from 'vitest';
import type { IrAttribute } from '../../src/main/onnx/ir.ts';
import {
  ModelSpec,
  attr,
  conv2d,
  expectClose,
  finiteDifferenceJacobian,
  product,
  randomArray,
  rng,
  runRelevance,
  stab,
  sum,
  sumAbs,
  vjp,
  zPlusReference,
  type ConvSpec,
} from './harness.ts';

describe('norm rule for a residual Add', () => {
  /** image [1,4,3,3]: a = channels 0–1, b = channels 2–3, embedding = a + b; R_image = [R_a; R_b]. */
  function residualModel() {
    const m = new ModelSpec();
    const starts = m.int64('starts_a', [0]);
    const a = m.node('Slice', ['image', starts, m.int64('ends_a', [2]), m.int64('axes', [1])], {
      name: 'slice_a',
    });
    const b = m.node('Slice', ['image', m.int64('starts_b', [2]), m.int64('ends_b', [4]), 'axes'], {
      name: 'slice_b',
    });
    m.node('Add', [a, b], { name: 'residual', outputs: ['embedding'] });
    return m.build([1, 4, 3, 3], ['embedding']);
  }
  const inputDims = [1, 4, 3, 3];
  const half = 18;

  function sumReference(image: Float32Array, seeds: Float32Array, k: number) {
    const relevance = new Float64Array(k * 2 * half);
    for (let s = 0; s < k; s++)
      for (let i = 0; i < half; i++) {
        const a = image[i];
        const b = image[half + i];
        const S = seeds[s * half + i] / stab(a + b);
        relevance[s * 2 * half + i] = a * S;
        relevance[s * 2 * half + half + i] = b * S;
      }
    return relevance;
  }

  it('R_a = a·R/stab(a+b), R_b = b·R/stab(a+b), including zeros, negatives and a zero sum', async () => {
    const random = rng(31);
    const k = 3;
    const image = randomArray(random, 36);
    // Keep denominators away from zero except at cell 5, where a + b = 0 exactly (stab(0) = +1e-6).
    for (let i = 0; i < half; i++) if (Math.abs(image[i] + image[half + i]) < 0.05) image[half + i] += 0.3;
    image[5] = 0.5;
    image[half + 5] = -0.5;
    image[7] = 0; // a zero summand
    const seeds = randomArray(random, k * half);
    seeds[5] = 0.25;
    const run = await runRelevance({
      model: residualModel(),
      input: image,
      inputDims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('sum');
    const expected = sumReference(image, seeds, k);
    expectClose(run.relevance, expected, { rtol: 1e-4 });
    expect(run.relevance[5]).toBeCloseTo(0.5 * 0.25 * 1e6, -2); // +, not − and not ∞
    expect(run.relevance[half + 5]).toBeCloseTo(-0.5 * 0.25 * 1e6, -2);
    expect(run.relevance[7]).toBe(0);
  });

  it('conservation: Σ R_a + Σ R_b ≈ Σ R', async () => {
    const random = rng(32);
    const k = 4;
    const image = randomArray(random, 36);
    for (let i = 0; i < half; i++) if (Math.abs(image[i] + image[half + i]) < 0.05) image[half + i] += 0.3;
    const seeds = randomArray(random, k * half);
    const run = await runRelevance({
      model: residualModel(),
      input: image,
      inputDims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    for (let s = 0; s < k; s++) {
      const total = sum(run.relevance, s * 36, (s + 1) * 36);
      expect(Math.abs(total - sum(seeds, s * half, (s + 1) * half))).toBeLessThan(
        1e-4 * sumAbs(seeds, s * half, (s + 1) * half),
      );
    }
  });

  it('Add(x, x) gives x both halves: R_x = 2x·R/stab(2x)', async () => {
    const random = rng(33);
    const k = 2;
    const dims = [1, 2, 2, 3];
    const image = randomArray(random, 12);
    const m = new ModelSpec();
    m.node('Add', ['image', 'image'], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * 12);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    const expected = Array.from(seeds, (r, i) => (2 * image[i % 12] * r) / stab(2 * image[i % 12]));
    expectClose(run.relevance, expected, { rtol: 1e-5 });
  });

  it('a residual block: relevance of the skip path and of the conv path add up', async () => {
    // image → Relu → r; Conv(r) → c; embedding = c + r. R_r = zplus(c·R/stab) + r·R/stab.
    const random = rng(34);
    const k = 2;
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 2,
      height: 4,
      width: 4,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const dims = [1, 2, 4, 4];
    const image = randomArray(random, 32);
    const weight = randomArray(random, 2 * 2 * 9, { zeros: 0.1 });
    const bias = randomArray(random, 2);
    const m = new ModelSpec();
    const r = m.node('Relu', ['image']);
    const c = m.node('Conv', [r, m.float('W', [2, 2, 3, 3], weight), m.float('B', [2], bias)], {
      attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
    });
    m.node('Add', [c, r], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * 32);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    const relu = image.map((v) => Math.max(v, 0));
    const conv = conv2d(spec, relu, weight, bias);
    const convShare = new Float32Array(k * 32);
    const skipShare = new Float64Array(k * 32);
    for (let s = 0; s < k; s++)
      for (let i = 0; i < 32; i++) {
        const denominator = stab(conv[i] + relu[i]);
        expect(Math.abs(conv[i] + relu[i])).toBeGreaterThan(5e-3); // precondition
        convShare[s * 32 + i] = (conv[i] * seeds[s * 32 + i]) / denominator;
        skipShare[s * 32 + i] = (relu[i] * seeds[s * 32 + i]) / denominator;
      }
    const down = zPlusReference(spec, relu, weight, bias, convShare, k);
    const expected = down.relevance.map((v, i) => v + skipShare[i]);
    const scale = down.magnitude.map((v, i) => v + Math.abs(skipShare[i]));
    expectClose(run.relevance, expected, { rtol: 2e-4, scale });
  });
});

describe('norm rule for average pooling', () => {
  it('GlobalAveragePool: R_in = x·(R/stab(mean))/(H·W), and Σ R_in ≈ Σ R', async () => {
    const random = rng(41);
    const k = 3;
    const dims = [1, 3, 4, 5];
    const area = 20;
    const image = randomArray(random, 60, { lo: -0.5, hi: 1.5 });
    const m = new ModelSpec();
    const pooled = m.node('GlobalAveragePool', ['image']);
    m.node('Flatten', [pooled], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * 3);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get(pooled)?.kind).toBe('avgpool');
    const means = [0, 1, 2].map((c) => sum(image, c * area, (c + 1) * area) / area);
    for (const mean of means) expect(Math.abs(mean)).toBeGreaterThan(0.1); // precondition
    const expected = new Float64Array(k * 60);
    for (let s = 0; s < k; s++)
      for (let i = 0; i < 60; i++)
        expected[s * 60 + i] =
          (image[i] * seeds[s * 3 + Math.floor(i / area)]) / stab(means[Math.floor(i / area)]) / area;
    expectClose(run.relevance, expected, { rtol: 1e-4, scale: expected.map(Math.abs) });
    for (let s = 0; s < k; s++) {
      expect(
        Math.abs(sum(run.relevance, s * 60, (s + 1) * 60) - sum(seeds, s * 3, (s + 1) * 3)),
      ).toBeLessThan(1e-4 * sumAbs(seeds, s * 3, (s + 1) * 3));
    }
  });

  /** AveragePool in float64: windows, divisors and the norm rule. */
  function avgPoolReference(
    x: Float32Array,
    dims: number[],
    kernel: number[],
    strides: number[],
    pads: number[],
    includePad: boolean,
    seeds: Float32Array,
    k: number,
    ceil = false,
  ) {
    const [, C, H, W] = dims;
    // ceil_mode: one more window where the last would be partial (the cases keep it starting inside).
    const round = ceil ? Math.ceil : Math.floor;
    const oh = round((H + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1;
    const ow = round((W + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1;
    const outSize = C * oh * ow;
    const pooled = new Float64Array(outSize);
    const counts = new Float64Array(outSize);
    const cells: number[][] = [];
    for (let c = 0; c < C; c++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          const o = (c * oh + y) * ow + xo;
          const list: number[] = [];
          let count = 0;
          for (let ky = 0; ky < kernel[0]; ky++)
            for (let kx = 0; kx < kernel[1]; kx++) {
              const iy = y * strides[0] - pads[0] + ky;
              const ix = xo * strides[1] - pads[1] + kx;
              const inPadded = iy >= -pads[0] && iy < H + pads[2] && ix >= -pads[1] && ix < W + pads[3];
              const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
              if (inside) list.push((c * H + iy) * W + ix);
              if (includePad ? inPadded : inside) count++;
            }
          cells.push(list);
          counts[o] = count;
          pooled[o] = list.reduce((acc, i) => acc + x[i], 0) / count;
        }
    const relevance = new Float64Array(k * x.length);
    const magnitude = new Float64Array(k * x.length);
    for (let s = 0; s < k; s++)
      for (let o = 0; o < outSize; o++) {
        const S = seeds[s * outSize + o] / stab(pooled[o]);
        for (const i of cells[o]) {
          relevance[s * x.length + i] += (x[i] * S) / counts[o];
          magnitude[s * x.length + i] += Math.abs((x[i] * S) / counts[o]);
        }
      }
    return { pooled, relevance, magnitude, outDims: [1, C, oh, ow], cells };
  }

  const poolCases = [
    {
      name: 'kernel 3 stride 2 padding 1, count_include_pad 0 (a column lost)',
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      includePad: 0,
    },
    {
      name: 'kernel 3 stride 2 padding 1, count_include_pad 1',
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      includePad: 1,
    },
    {
      name: 'kernel 2×3, strides 1×2, asymmetric padding, count_include_pad 1',
      kernel: [2, 3],
      strides: [1, 2],
      pads: [0, 1, 1, 0],
      includePad: 1,
    },
    {
      name: 'kernel 2×2 stride 2 no padding (a row and a column lost)',
      kernel: [2, 2],
      strides: [2, 2],
      pads: [0, 0, 0, 0],
      includePad: 0,
    },
    {
      name: 'kernel 2×2 stride 2, ceil_mode (partial windows at the end, as ResNet-D downsampling)',
      kernel: [2, 2],
      strides: [2, 2],
      pads: [0, 0, 0, 0],
      includePad: 0,
      ceil: 1,
      // Its one- and two-cell windows would often pool to about zero, where the stabiliser dominates.
      zeros: 0,
      seed: 43,
    },
    {
      name: 'kernel 3 stride 2, padding at the start, ceil_mode, count_include_pad 1',
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 0, 0],
      includePad: 1,
      ceil: 1,
    },
  ];

  it.each(poolCases)(
    'AveragePool $name',
    async ({ kernel, strides, pads, includePad, ceil = 0, zeros = 0.2, seed = 42 }) => {
      const random = rng(seed);
      const k = 3;
      const dims = [1, 2, 7, 7];
      const image = randomArray(random, product(dims), { lo: -0.5, hi: 1.5, zeros });
      const m = new ModelSpec();
      m.node('AveragePool', ['image'], {
        attributes: {
          kernel_shape: attr.ints(kernel),
          strides: attr.ints(strides),
          pads: attr.ints(pads),
          count_include_pad: attr.int(includePad),
          ceil_mode: attr.int(ceil),
        },
        outputs: ['embedding'],
      });
      const model = m.build(dims, ['embedding']);
      const probe = avgPoolReference(
        image,
        dims,
        kernel,
        strides,
        pads,
        includePad === 1,
        new Float32Array(0),
        0,
        ceil === 1,
      );
      const seeds = randomArray(random, k * product(probe.outDims));
      const reference = avgPoolReference(
        image,
        dims,
        kernel,
        strides,
        pads,
        includePad === 1,
        seeds,
        k,
        ceil === 1,
      );
      const run = await runRelevance({
        model,
        input: image,
        inputDims: dims,
        from: 'embedding',
        to: 'image',
        seeds,
        k,
        outputs: ['embedding'],
      });
      // The forward pooling agrees with the reference's windows and divisors.
      expect(run.forward.embedding.dims).toEqual(reference.outDims);
      expectClose(run.forward.embedding.data as Float32Array, reference.pooled, {
        rtol: 1e-5,
        atol: 1e-6,
        label: 'pooled',
      });
      for (const p of reference.pooled) expect(Math.abs(p)).toBeGreaterThan(5e-3); // precondition
      expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('avgpool');
      expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
    },
  );

  const reduceCases = [
    { name: 'axes [2,3] keepdims 1 (attribute, opset 17)', keepdims: 1, opset: 17, axes: [2, 3] },
    { name: 'axes [2,3] keepdims 0 (attribute, opset 17)', keepdims: 0, opset: 17, axes: [2, 3] },
    { name: 'axes [-1,-2] keepdims 0 (attribute, opset 17)', keepdims: 0, opset: 17, axes: [-1, -2] },
    { name: 'axes [2,3] keepdims 0 (input, opset 18)', keepdims: 0, opset: 18, axes: [2, 3] },
  ];

  it.each(reduceCases)('ReduceMean $name', async ({ keepdims, opset, axes }) => {
    const random = rng(43);
    const k = 2;
    const dims = [1, 3, 3, 4];
    const area = 12;
    const image = randomArray(random, 36, { lo: -0.5, hi: 1.5 });
    const m = new ModelSpec();
    const inputs = opset >= 18 ? ['image', m.int64('axes', axes)] : ['image'];
    const attributes: Record<string, IrAttribute> =
      opset >= 18
        ? { keepdims: attr.int(keepdims) }
        : { axes: attr.ints(axes), keepdims: attr.int(keepdims) };
    m.node('ReduceMean', inputs, { attributes, outputs: ['embedding'] });
    const model = m.build(dims, ['embedding'], opset);
    const seeds = randomArray(random, k * 3);
    const run = await runRelevance({
      model,
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.shapes.get('embedding')).toEqual(keepdims ? [1, 3, 1, 1] : [1, 3]);
    const means = [0, 1, 2].map((c) => sum(image, c * area, (c + 1) * area) / area);
    const expected = new Float64Array(k * 36);
    for (let s = 0; s < k; s++)
      for (let i = 0; i < 36; i++)
        expected[s * 36 + i] =
          (image[i] * seeds[s * 3 + Math.floor(i / area)]) / stab(means[Math.floor(i / area)]) / area;
    expectClose(run.relevance, expected, { rtol: 1e-4 });
  });
});

describe('gradient rule for a functional average pooling (meanGradient)', () => {
  /** Scoped node names as PyTorch exports them; the pooling shares its scope with another node. */
  async function functionalCase(build: (m: ModelSpec) => string, dims: number[], seed: number) {
    const random = rng(seed);
    const k = 3;
    const m = new ModelSpec();
    const pooled = build(m);
    const model = m.build(dims, ['embedding']);
    const image = randomArray(random, product(dims));
    const { jacobian, outSize } = await finiteDifferenceJacobian(model, 'embedding', image, dims);
    const seeds = randomArray(random, k * outSize);
    const run = await runRelevance({
      model,
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get(pooled)?.kind).toBe('meanGradient');
    // Relevance at the pooling's input has the input's shape (k seeds).
    expect(run.relevanceDims).toEqual([k, ...dims.slice(1)]);
    const expected = vjp(jacobian, outSize, image.length, seeds, k);
    return { run, expected };
  }

  it('GlobalAveragePool called as a function: relevance is the vector–Jacobian product', async () => {
    const { run, expected } = await functionalCase(
      (m) => {
        const pooled = m.node('GlobalAveragePool', ['image'], { name: '/head/GlobalAveragePool' });
        m.node('Flatten', [pooled], { name: '/head/Flatten', outputs: ['embedding'] });
        return pooled;
      },
      [1, 3, 4, 5],
      51,
    );
    expectClose(run.relevance, expected, { rtol: 1e-4, atol: 1e-6 });
  });

  it('AveragePool (kernel 3, stride 2, padding 1) called as a function', async () => {
    const { run, expected } = await functionalCase(
      (m) => {
        const pooled = m.node('AveragePool', ['image'], {
          name: '/AveragePool',
          attributes: {
            kernel_shape: attr.ints([3, 3]),
            strides: attr.ints([2, 2]),
            pads: attr.ints([1, 1, 1, 1]),
          },
        });
        m.node('Identity', [pooled], { name: '/act/Identity', outputs: ['embedding'] });
        return pooled;
      },
      [1, 2, 6, 5],
      52,
    );
    expectClose(run.relevance, expected, { rtol: 1e-4, atol: 1e-6 });
  });

  it('ReduceMean keepdims 0 called as a function', async () => {
    const { run, expected } = await functionalCase(
      (m) => {
        const pooled = m.node('ReduceMean', ['image'], {
          name: '/ReduceMean',
          attributes: { axes: attr.ints([2, 3]), keepdims: attr.int(0) },
        });
        m.node('Identity', [pooled], { name: '/neck/Identity', outputs: ['embedding'] });
        return pooled;
      },
      [1, 4, 3, 3],
      53,
    );
    expectClose(run.relevance, expected, { rtol: 1e-4, atol: 1e-6 });
  });

  it('a pooling that is a module of its own (alone in its scope) keeps the norm rule', async () => {
    const m = new ModelSpec();
    const pooled = m.node('GlobalAveragePool', ['image'], { name: '/pool/GlobalAveragePool' });
    m.node('Flatten', [pooled], { name: '/Flatten', outputs: ['embedding'] });
    const dims = [1, 2, 2, 2];
    const image = Float32Array.from([1, 2, 0, -1, 0.5, 0.5, 0, 1]);
    const seeds = Float32Array.from([1, 2, -1, 0.5]);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k: 2,
    });
    expect(run.canonical.unitByOutput.get(pooled)?.kind).toBe('avgpool');
    const means = [0.5, 0.5];
    const expected = Array.from(
      { length: 16 },
      (_, i) =>
        (image[i % 8] * seeds[Math.floor(i / 8) * 2 + Math.floor((i % 8) / 4)]) /
        stab(means[Math.floor((i % 8) / 4)]) /
        4,
    );
    expectClose(run.relevance, expected, { rtol: 1e-5 });
  });

  it('a functional GlobalAveragePool inside a network (Conv → Relu → pool → Flatten), relevance to the image', async () => {
    const random = rng(54);
    const k = 2;
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 4,
      width: 4,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const dims = [1, 2, 4, 4];
    const image = randomArray(random, 32);
    const weight = randomArray(random, 3 * 2 * 9, { zeros: 0.1 });
    const m = new ModelSpec();
    const c = m.node('Conv', ['image', m.float('W', [3, 2, 3, 3], weight)], {
      name: '/conv/Conv',
      attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
    });
    const r = m.node('Relu', [c], { name: '/act/Relu' });
    const pooled = m.node('GlobalAveragePool', [r], { name: '/head/GlobalAveragePool' });
    m.node('Flatten', [pooled], { name: '/head/Flatten', outputs: ['embedding'] });
    const seeds = randomArray(random, k * 3);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get(pooled)?.kind).toBe('meanGradient');
    // Gradient through the pooling: every cell of channel c receives R_c/(H·W); then z⁺ through the conv.
    const atConv = new Float32Array(k * 48);
    for (let s = 0; s < k; s++)
      for (let i = 0; i < 48; i++) atConv[s * 48 + i] = seeds[s * 3 + Math.floor(i / 16)] / 16;
    const reference = zPlusReference(spec, image, weight, undefined, atConv, k);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });
});
