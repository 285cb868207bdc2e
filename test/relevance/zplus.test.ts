import { describe, expect, it } from 'vitest';
import {
  ModelSpec,
  conv2d,
  attr,
  convOutputSize,
  expectClose,
  product,
  randomArray,
  rng,
  runRelevance,
  sum,
  sumAbs,
  zPlusReference,
  type ConvSpec,
} from './harness.ts';

/** image [1,C,H,W] → (Relu) → Conv → embedding, relevance from embedding to image, k seeds. */
async function convCase(
  spec: ConvSpec,
  options: {
    seed: number;
    bias: boolean;
    /** Multiplies the random biases (large biases against small inputs test the denominators' rounding). */
    biasScale?: number;
    relu?: boolean;
    /** Clip the input to [min, max] before the conv. */
    clip?: [number, number];
    k?: number;
    input?: { lo: number; hi: number };
    autoPad?: 'SAME_UPPER' | 'SAME_LOWER';
  },
) {
  const random = rng(options.seed);
  const k = options.k ?? 3;
  const group = spec.group ?? 1;
  const inputDims = [1, spec.inChannels, spec.height, spec.width];
  const weightDims = [spec.outChannels, spec.inChannels / group, ...spec.kernel];
  const image = randomArray(random, product(inputDims), options.input);
  const weight = randomArray(random, product(weightDims), { zeros: 0.1 });
  const bias = options.bias ? randomArray(random, spec.outChannels, { zeros: 0.25 }).map((b) => b * (options.biasScale ?? 1)) : undefined;
  const m = new ModelSpec();
  const clip = options.clip;
  const x = options.relu
    ? m.node('Relu', ['image'])
    : clip
      ? m.node('Clip', ['image', m.float('clip_min', [], [clip[0]]), m.float('clip_max', [], [clip[1]])])
      : 'image';
  const attributes = {
    kernel_shape: attr.ints(spec.kernel),
    strides: attr.ints(spec.strides ?? [1, 1]),
    dilations: attr.ints(spec.dilations ?? [1, 1]),
    group: attr.int(group),
    // With auto_pad the node carries no pads; `spec.pads` holds what ONNX derives, for the reference.
    ...(options.autoPad
      ? { auto_pad: attr.string(options.autoPad) }
      : { pads: attr.ints(spec.pads ?? [0, 0, 0, 0]) }),
  };
  const inputs = [x, m.float('W', weightDims, weight)];
  if (bias) inputs.push(m.float('B', [spec.outChannels], bias));
  m.node('Conv', inputs, { attributes, outputs: ['embedding'], name: 'conv' });
  const model = m.build(inputDims, ['embedding']);
  const [oh, ow] = convOutputSize(spec);
  const seeds = randomArray(random, k * spec.outChannels * oh * ow, { zeros: 0.1 });
  const run = await runRelevance({
    model,
    input: image,
    inputDims,
    from: 'embedding',
    to: 'image',
    seeds,
    k,
  });
  const effectiveInput = options.relu
    ? image.map((v) => Math.max(v, 0))
    : clip
      ? image.map((v) => Math.fround(Math.min(Math.max(v, clip[0]), clip[1])))
      : image;
  const reference = zPlusReference(spec, effectiveInput, weight, bias, seeds, k);
  return { run, reference, image, seeds, k, oh, ow };
}

type Nodes = { graph: { nodes: { opType: string; inputs: string[]; outputs: string[] }[] } };
/** The x⁻ = x − Relu(x) of a relevance pass: a Sub whose second input is the Relu of its first. */
const takesNegativeHalf = ({ graph }: Nodes) =>
  graph.nodes.some(
    (sub) => sub.opType === 'Sub' && graph.nodes.some((relu) => relu.opType === 'Relu' && relu.outputs[0] === sub.inputs[1] && relu.inputs[0] === sub.inputs[0]),
  );

/** Whether a compiled z⁺ pass takes the x⁻ half (x − x⁺, in the relevance pass) and |x| (Abs, in the forward pass). */
const halves = (run: { compiled: { forward: Nodes; passes: { model: Nodes }[] } }) => ({
  min: takesNegativeHalf(run.compiled.passes[0].model),
  abs: run.compiled.forward.graph.nodes.some((n) => n.opType === 'Abs'),
});

describe('z⁺ rule for Conv', () => {
  const cases: { name: string; spec: ConvSpec; bias: boolean; relu?: boolean }[] = [
    {
      name: 'groups 1, stride 2, padding 1, a row and no column lost, with bias',
      spec: {
        inChannels: 3,
        outChannels: 4,
        height: 8,
        width: 7,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      },
      bias: true,
    },
    {
      name: 'groups 1, stride 2, padding 1, without bias',
      spec: {
        inChannels: 3,
        outChannels: 4,
        height: 8,
        width: 7,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      },
      bias: false,
    },
    {
      name: 'depthwise (group = channels), stride 2, asymmetric padding, rows lost on both axes',
      spec: {
        inChannels: 4,
        outChannels: 4,
        height: 8,
        width: 7,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 0, 1, 1],
        group: 4,
      },
      bias: true,
    },
    {
      name: 'depthwise with channel multiplier 2, without bias',
      spec: {
        inChannels: 3,
        outChannels: 6,
        height: 6,
        width: 6,
        kernel: [3, 3],
        strides: [1, 1],
        pads: [1, 1, 1, 1],
        group: 3,
      },
      bias: false,
    },
    {
      name: 'dilation 2, stride 1, padding 2, with bias',
      spec: {
        inChannels: 2,
        outChannels: 3,
        height: 7,
        width: 6,
        kernel: [3, 3],
        pads: [2, 2, 2, 2],
        dilations: [2, 2],
      },
      bias: true,
    },
    {
      name: 'dilation 2 with stride 2 (a column lost)',
      spec: {
        inChannels: 2,
        outChannels: 3,
        height: 9,
        width: 8,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
        dilations: [2, 2],
      },
      bias: false,
    },
    {
      name: 'group 2, non-square kernel and strides',
      spec: {
        inChannels: 4,
        outChannels: 6,
        height: 7,
        width: 9,
        kernel: [2, 3],
        strides: [1, 2],
        pads: [0, 1, 1, 1],
        group: 2,
      },
      bias: true,
    },
    {
      name: 'input after Relu (non-negative: no x⁻ half), stride 2',
      spec: {
        inChannels: 3,
        outChannels: 4,
        height: 8,
        width: 8,
        kernel: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      },
      bias: true,
      relu: true,
    },
  ];

  it.each(cases)('$name', async ({ spec, bias, relu }) => {
    const { run, reference, k } = await convCase(spec, { seed: 11, bias, relu });
    expect(run.relevanceDims).toEqual([k, spec.inChannels, spec.height, spec.width]);
    expectClose(run.relevance, reference.relevance, {
      rtol: 1e-4,
      scale: reference.magnitude,
      label: 'R_in',
    });
    // The comparison is not vacuous: relevance reaches many input cells.
    expect(reference.relevance.filter((v) => Math.abs(v) > 1e-3).length).toBeGreaterThan(
      reference.relevance.length / 10,
    );
  });

  it.each([
    // 8 rows, kernel 3, stride 2: 4 outputs need 1 padding row: SAME_UPPER puts it at the end, SAME_LOWER at the start.
    { autoPad: 'SAME_UPPER' as const, pads: [0, 1, 1, 1] as [number, number, number, number] },
    { autoPad: 'SAME_LOWER' as const, pads: [1, 1, 0, 1] as [number, number, number, number] },
  ])('auto_pad $autoPad with stride 2', async ({ autoPad, pads }) => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 8,
      width: 7,
      kernel: [3, 3],
      strides: [2, 2],
      pads,
    };
    const { run, reference, k } = await convCase(spec, { seed: 12, bias: true, autoPad });
    const [oh, ow] = convOutputSize(spec);
    expect(run.shapes.get('embedding')).toEqual([1, 3, oh, ow]);
    expect(run.relevanceDims).toEqual([k, 2, 8, 7]);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('input with negative values: the x⁻·W⁻ half carries relevance (a z⁺ that drops it would fail)', async () => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 5,
      width: 5,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const { run, reference, image } = await convCase(spec, { seed: 5, bias: false });
    // Relevance at negative input cells is non-zero in the reference and matches.
    const negativeCells = [...image.keys()].filter((i) => image[i] < 0);
    expect(negativeCells.length).toBeGreaterThan(5);
    expect(negativeCells.some((i) => Math.abs(reference.relevance[i]) > 1e-2)).toBe(true);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  // The x⁻ half is the relevance pass's Min of the input (the forward pass hands over x once), and the
  // forward pass's z⁺ comes from |x| (½(|x||W| + xW)); after a ReLU neither is there.
  it('after Relu the pass compiles without the x⁻ half (no Min, no Abs)', async () => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 2,
      height: 4,
      width: 4,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const { run } = await convCase(spec, { seed: 3, bias: true, relu: true });
    expect(halves(run)).toEqual({ min: false, abs: false });
    const plain = await convCase(spec, { seed: 3, bias: true, relu: false });
    expect(halves(plain.run)).toEqual({ min: true, abs: true });
  });

  it('input after Clip(−0.4, 0.5): negative values remain, so the x⁻ half stays', async () => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 5,
      width: 5,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const { run, reference } = await convCase(spec, { seed: 6, bias: true, clip: [-0.4, 0.5] });
    expect(halves(run)).toEqual({ min: true, abs: true });
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('where the input is 0 and the biases are large, the denominators stay b⁺ + ε: relevance finite', async () => {
    // There y − b is exactly 0. A denominator summed as ½y + … − ½b + ε instead leaves a rounding error of
    // |b|'s size for ε, zero or negative (full-size EfficientNetV2 went non-finite that way).
    const spec: ConvSpec = { inChannels: 3, outChannels: 4, height: 6, width: 6, kernel: [3, 3], pads: [1, 1, 1, 1] };
    for (const seed of [21, 22, 23]) {
      const { run } = await convCase(spec, { seed, bias: true, biasScale: 100, input: { lo: 0, hi: 0 } });
      expect(halves(run)).toEqual({ min: true, abs: true });
      expect(run.relevance.every((v) => v === 0)).toBe(true);
    }
  });

  it('input after Clip(0, 6) (ReLU6) is known non-negative', async () => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 5,
      width: 5,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const { run, reference } = await convCase(spec, { seed: 7, bias: true, clip: [0, 6] });
    expect(halves(run)).toEqual({ min: false, abs: false });
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('conservation: zero bias and non-negative input give Σ R_in ≈ Σ R_out per seed', async () => {
    const spec: ConvSpec = {
      inChannels: 3,
      outChannels: 4,
      height: 8,
      width: 7,
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    };
    const { run, reference, seeds, k } = await convCase(spec, {
      seed: 21,
      bias: false,
      input: { lo: 0, hi: 1 },
      k: 4,
    });
    // Precondition: no denominator near zero, so the stabiliser takes almost nothing.
    expect(Math.min(...reference.z)).toBeGreaterThan(5e-3);
    const inSize = run.relevance.length / k;
    const outSize = seeds.length / k;
    for (let s = 0; s < k; s++) {
      const rIn = sum(run.relevance, s * inSize, (s + 1) * inSize);
      const rOut = sum(seeds, s * outSize, (s + 1) * outSize);
      expect(Math.abs(rIn - rOut)).toBeLessThan(1e-4 * sumAbs(seeds, s * outSize, (s + 1) * outSize));
    }
  });

  it('a positive bias absorbs relevance: Σ R_in differs from Σ R_out as the formula says', async () => {
    const spec: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 5,
      width: 5,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const { run, reference, seeds, k } = await convCase(spec, {
      seed: 8,
      bias: true,
      input: { lo: 0, hi: 1 },
      k: 2,
    });
    const inSize = run.relevance.length / k;
    const outSize = seeds.length / k;
    for (let s = 0; s < k; s++) {
      const rIn = sum(run.relevance, s * inSize, (s + 1) * inSize);
      const expected = sum(reference.relevance, s * inSize, (s + 1) * inSize);
      expect(Math.abs(rIn - expected)).toBeLessThan(1e-4 * sumAbs(seeds, s * outSize, (s + 1) * outSize));
    }
  });

  it('two convolutions with a Relu between compose (z⁺ applied twice)', async () => {
    const random = rng(99);
    const k = 2;
    const spec1: ConvSpec = {
      inChannels: 2,
      outChannels: 3,
      height: 6,
      width: 6,
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    };
    const [h1, w1] = convOutputSize(spec1);
    const spec2: ConvSpec = {
      inChannels: 3,
      outChannels: 2,
      height: h1,
      width: w1,
      kernel: [2, 2],
      pads: [0, 0, 1, 1],
    };
    const [h2, w2] = convOutputSize(spec2);
    const inputDims = [1, 2, 6, 6];
    const image = randomArray(random, product(inputDims));
    const w1Data = randomArray(random, 3 * 2 * 9, { zeros: 0.1 });
    const b1 = randomArray(random, 3);
    const w2Data = randomArray(random, 2 * 3 * 4, { zeros: 0.1 });
    const m = new ModelSpec();
    const c1 = m.node('Conv', ['image', m.float('W1', [3, 2, 3, 3], w1Data), m.float('B1', [3], b1)], {
      attributes: {
        kernel_shape: attr.ints([3, 3]),
        strides: attr.ints([2, 2]),
        pads: attr.ints([1, 1, 1, 1]),
      },
    });
    const r1 = m.node('Relu', [c1]);
    m.node('Conv', [r1, m.float('W2', [2, 3, 2, 2], w2Data)], {
      attributes: { kernel_shape: attr.ints([2, 2]), pads: attr.ints([0, 0, 1, 1]) },
      outputs: ['embedding'],
    });
    const model = m.build(inputDims, ['embedding']);
    const seeds = randomArray(random, k * 2 * h2 * w2);
    const run = await runRelevance({
      model,
      input: image,
      inputDims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    // Forward activations in float64 for the reference.
    const relu1 = Float32Array.from(conv2d(spec1, image, w1Data, b1), (v) => Math.max(v, 0));
    const mid = zPlusReference(spec2, relu1, w2Data, undefined, seeds, k);
    const midSeeds = Float32Array.from(mid.relevance);
    const bottom = zPlusReference(spec1, image, w1Data, b1, midSeeds, k);
    expectClose(run.relevance, bottom.relevance, {
      rtol: 2e-4,
      scale: bottom.magnitude,
      atol: 1e-6 * Math.max(...bottom.magnitude),
    });
  });
});
