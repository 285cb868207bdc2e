import { describe, expect, it } from 'vitest';
import {
  ModelSpec,
  attr,
  expectClose,
  finiteDifferenceJacobian,
  product,
  randomArray,
  rng,
  runRelevance,
  vjp,
} from './harness.ts';

/** Max pooling by hand: the flat input index of each window's maximum (first in scan order on ties). */
function maxPoolArgmax(
  x: Float32Array,
  dims: number[],
  kernel: number[],
  strides: number[],
  pads: number[],
  ceil = false,
) {
  const [, C, H, W] = dims;
  const round = ceil ? Math.ceil : Math.floor;
  const oh = round((H + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1;
  const ow = round((W + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1;
  const argmax: number[] = [];
  for (let c = 0; c < C; c++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        let best = -1;
        for (let ky = 0; ky < kernel[0]; ky++)
          for (let kx = 0; kx < kernel[1]; kx++) {
            const iy = y * strides[0] - pads[0] + ky;
            const ix = xo * strides[1] - pads[1] + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const i = (c * H + iy) * W + ix;
            if (best < 0 || x[i] > x[best]) best = i;
          }
        argmax.push(best);
      }
  return { argmax, outDims: [1, C, oh, ow] };
}

function routeToArgmax(argmax: number[], inSize: number, seeds: Float32Array, k: number) {
  const out = new Float64Array(k * inSize);
  for (let s = 0; s < k; s++) argmax.forEach((i, o) => (out[s * inSize + i] += seeds[s * argmax.length + o]));
  return out;
}

describe('gradient rule for MaxPool', () => {
  const cases = [
    {
      name: 'kernel 2 stride 2 (no overlap)',
      dims: [1, 2, 6, 6],
      kernel: [2, 2],
      strides: [2, 2],
      pads: [0, 0, 0, 0],
    },
    {
      name: 'kernel 3 stride 2 padding 1 (overlapping windows)',
      dims: [1, 2, 7, 6],
      kernel: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    },
    {
      name: 'kernel 3 stride 2 no padding (overlap, rows lost)',
      dims: [1, 3, 8, 8],
      kernel: [3, 3],
      strides: [2, 2],
      pads: [0, 0, 0, 0],
    },
    {
      name: 'kernel 3 stride 1 padding 1',
      dims: [1, 1, 5, 5],
      kernel: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
    },
  ];

  it.each(cases)('$name', async ({ dims, kernel, strides, pads }) => {
    const random = rng(61);
    const k = 3;
    const image = randomArray(random, product(dims));
    const m = new ModelSpec();
    m.node('MaxPool', ['image'], {
      attributes: { kernel_shape: attr.ints(kernel), strides: attr.ints(strides), pads: attr.ints(pads) },
      outputs: ['embedding'],
    });
    const { argmax, outDims } = maxPoolArgmax(image, dims, kernel, strides, pads);
    const seeds = randomArray(random, k * product(outDims));
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.relevanceDims).toEqual([k, ...dims.slice(1)]);
    const expected = routeToArgmax(argmax, image.length, seeds, k);
    expectClose(run.relevance, expected, { rtol: 1e-6, atol: 1e-7 });
    // Overlapping windows really do share a maximum somewhere in the overlapping cases.
    if (kernel[0] > strides[0]) expect(new Set(argmax).size).toBeLessThan(argmax.length);
  });

  it('after Relu (windows of tied zeros go to the first zero in scan order)', async () => {
    const random = rng(62);
    const k = 2;
    const dims = [1, 2, 6, 6];
    const image = randomArray(random, 72, { lo: -1, hi: 0.4 });
    const m = new ModelSpec();
    const r = m.node('Relu', ['image']);
    const kernel = [3, 3];
    const strides = [2, 2];
    const pads = [1, 1, 1, 1];
    m.node('MaxPool', [r], {
      attributes: { kernel_shape: attr.ints(kernel), strides: attr.ints(strides), pads: attr.ints(pads) },
      outputs: ['embedding'],
    });
    const relu = image.map((v) => Math.max(v, 0));
    const { argmax, outDims } = maxPoolArgmax(relu, dims, kernel, strides, pads);
    // Precondition: some windows are all zeros (ties).
    expect(argmax.some((i) => relu[i] === 0)).toBe(true);
    const seeds = randomArray(random, k * product(outDims));
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expectClose(run.relevance, routeToArgmax(argmax, 72, seeds, k), { rtol: 1e-6, atol: 1e-7 });
  });

  it('statistics of the second image of a batch-2 forward pass (indices taken within the image)', async () => {
    const random = rng(63);
    const k = 2;
    const dims = [1, 2, 5, 5];
    const image = randomArray(random, 50);
    const other = randomArray(random, 50);
    const m = new ModelSpec();
    const kernel = [3, 3];
    const strides = [2, 2];
    const pads = [1, 1, 1, 1];
    m.node('MaxPool', ['image'], {
      attributes: { kernel_shape: attr.ints(kernel), strides: attr.ints(strides), pads: attr.ints(pads) },
      outputs: ['embedding'],
    });
    const { argmax, outDims } = maxPoolArgmax(image, dims, kernel, strides, pads);
    const seeds = randomArray(random, k * product(outDims));
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      otherInput: other,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expectClose(run.relevance, routeToArgmax(argmax, 50, seeds, k), { rtol: 1e-6, atol: 1e-7 });
  });

  it('ceil_mode 1 (the last windows hang over the edge)', async () => {
    const random = rng(65);
    const k = 2;
    const dims = [1, 2, 6, 7];
    const image = randomArray(random, 84);
    const m = new ModelSpec();
    m.node('MaxPool', ['image'], {
      attributes: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) },
      outputs: ['embedding'],
    });
    const { argmax, outDims } = maxPoolArgmax(image, dims, [3, 3], [2, 2], [0, 0, 0, 0], true);
    expect(outDims).toEqual([1, 2, 3, 3]);
    const seeds = randomArray(random, k * product(outDims));
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expectClose(run.relevance, routeToArgmax(argmax, 84, seeds, k), { rtol: 1e-6, atol: 1e-7 });
  });

  it('GlobalMaxPool → Flatten', async () => {
    const random = rng(64);
    const k = 3;
    const dims = [1, 3, 4, 3];
    const image = randomArray(random, 36);
    const m = new ModelSpec();
    const pooled = m.node('GlobalMaxPool', ['image']);
    m.node('Flatten', [pooled], { outputs: ['embedding'] });
    const { argmax } = maxPoolArgmax(image, dims, [4, 3], [1, 1], [0, 0, 0, 0]);
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
    expectClose(run.relevance, routeToArgmax(argmax, 36, seeds, k), { rtol: 1e-6, atol: 1e-7 });
  });
});

describe('gradient rule for structural operators (relevance = vector–Jacobian product, checked by finite differences)', () => {
  const dims = [1, 3, 4, 5];

  async function structureCase(
    build: (m: ModelSpec) => void,
    options: { seed: number; opset?: number; k?: number; batched?: boolean } = { seed: 0 },
  ) {
    const random = rng(options.seed);
    const k = options.k ?? 3;
    const m = new ModelSpec();
    build(m);
    const model = m.build(dims, ['embedding'], options.opset ?? 17);
    const image = randomArray(random, product(dims));
    const { jacobian, outSize } = await finiteDifferenceJacobian(model, 'embedding', image, dims, {
      batched: options.batched,
    });
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
    expect(run.relevanceDims).toEqual([k, ...dims.slice(1)]);
    const expected = vjp(jacobian, outSize, image.length, seeds, k);
    expectClose(run.relevance, expected, { rtol: 1e-5, atol: 1e-6 });
    return run;
  }

  it('Flatten', async () => {
    const run = await structureCase(
      (m) => m.node('Flatten', ['image'], { attributes: { axis: attr.int(1) }, outputs: ['embedding'] }),
      { seed: 71 },
    );
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('structure');
  });

  it('Reshape with -1 and 0 in the shape', async () => {
    await structureCase(
      (m) => m.node('Reshape', ['image', m.int64('shape', [0, 6, -1])], { outputs: ['embedding'] }),
      { seed: 72 },
    );
  });

  it('Transpose (NCHW → NHWC)', async () => {
    await structureCase(
      (m) =>
        m.node('Transpose', ['image'], {
          attributes: { perm: attr.ints([0, 2, 3, 1]) },
          outputs: ['embedding'],
        }),
      { seed: 73 },
    );
  });

  it('Transpose (perm 0,3,1,2, not its own inverse)', async () => {
    await structureCase(
      (m) =>
        m.node('Transpose', ['image'], {
          attributes: { perm: attr.ints([0, 3, 1, 2]) },
          outputs: ['embedding'],
        }),
      { seed: 74 },
    );
  });

  it('Concat of a slice, a constant and the input (axis 1): both computed parts receive relevance', async () => {
    await structureCase(
      (m) => {
        const s = m.node('Slice', ['image', m.int64('s', [1]), m.int64('e', [3]), m.int64('a', [1])]);
        const constant = m.float('const', [1, 2, 4, 5], new Array(40).fill(0.5));
        m.node('Concat', [s, constant, 'image'], {
          attributes: { axis: attr.int(1) },
          outputs: ['embedding'],
        });
      },
      { seed: 75, batched: false },
    );
  });

  it('Concat along a spatial axis (-1)', async () => {
    await structureCase(
      (m) => {
        const s = m.node('Slice', ['image', m.int64('s', [2]), m.int64('e', [4]), m.int64('a', [3])]);
        m.node('Concat', ['image', s], { attributes: { axis: attr.int(-1) }, outputs: ['embedding'] });
      },
      { seed: 76 },
    );
  });

  it('Concat of the same tensor twice: both copies send relevance back', async () => {
    await structureCase(
      (m) =>
        m.node('Concat', ['image', 'image'], { attributes: { axis: attr.int(1) }, outputs: ['embedding'] }),
      { seed: 77 },
    );
  });

  it('Slice with negative starts/ends, a negative axis and an end past the size', async () => {
    await structureCase(
      (m) =>
        m.node(
          'Slice',
          ['image', m.int64('s', [-3, 1]), m.int64('e', [-1, 1_000_000]), m.int64('a', [2, -1])],
          { outputs: ['embedding'] },
        ),
      { seed: 78 },
    );
  });

  it('Slice with an INT64_MAX end, as PyTorch exports x[:, 1:]', async () => {
    await structureCase(
      (m) => {
        m.initializers.set('e', {
          name: 'e',
          dataType: 7,
          dims: [1],
          data: BigInt64Array.of(9223372036854775807n),
        });
        m.node('Slice', ['image', m.int64('s', [1]), 'e', m.int64('a', [1])], { outputs: ['embedding'] });
      },
      { seed: 79 },
    );
  });

  it('Pad (constant mode, value 0.5, asymmetric pads)', async () => {
    await structureCase(
      (m) =>
        m.node('Pad', ['image', m.int64('pads', [0, 1, 2, 0, 0, 0, 1, 3]), m.float('value', [], [0.5])], {
          attributes: { mode: attr.string('constant') },
          outputs: ['embedding'],
        }),
      { seed: 80 },
    );
  });

  it('Pad with an axes input (opset 18): pads given for the listed axes only', async () => {
    await structureCase(
      (m) =>
        m.node(
          'Pad',
          ['image', m.int64('pads', [1, 0, 2, 1]), m.float('value', [], [0]), m.int64('axes', [2, 3])],
          {
            outputs: ['embedding'],
          },
        ),
      { seed: 85, opset: 18 },
    );
  });

  it('Split into unequal parts, reassembled in another order', async () => {
    await structureCase(
      (m) => {
        m.node('Split', ['image', m.int64('split', [1, 2])], {
          attributes: { axis: attr.int(1) },
          outputs: ['part0', 'part1'],
        });
        m.node('Concat', ['part1', 'part0'], { attributes: { axis: attr.int(1) }, outputs: ['embedding'] });
      },
      { seed: 81 },
    );
  });

  it('Split where only one part leads to the seed', async () => {
    await structureCase(
      (m) => {
        m.node('Split', ['image', m.int64('split', [2, 1])], {
          attributes: { axis: attr.int(1) },
          outputs: ['part0', 'part1'],
        });
        m.node('Identity', ['part1'], { outputs: ['embedding'] });
      },
      { seed: 82 },
    );
  });

  it('Unsqueeze then Squeeze, Identity and Dropout', async () => {
    await structureCase(
      (m) => {
        const u = m.node('Unsqueeze', ['image', m.int64('ax1', [2])]);
        const d = m.node('Dropout', [u]);
        const i = m.node('Identity', [d]);
        m.node('Squeeze', [i, m.int64('ax2', [2])], { outputs: ['embedding'] });
      },
      { seed: 83 },
    );
  });

  it('a chain: Transpose → Pad → Slice → Reshape → Flatten', async () => {
    await structureCase(
      (m) => {
        const t = m.node('Transpose', ['image'], { attributes: { perm: attr.ints([0, 3, 1, 2]) } });
        const p = m.node('Pad', [t, m.int64('pads', [0, 0, 1, 1, 0, 1, 0, 2])]);
        const s = m.node('Slice', [p, m.int64('s', [1, 0]), m.int64('e', [4, 5]), m.int64('a', [1, 3])]);
        const r = m.node('Reshape', [s, m.int64('shape', [-1, 3, 5, 4])]);
        m.node('Flatten', [r], { outputs: ['embedding'] });
      },
      { seed: 84 },
    );
  });
});
