import { describe, expect, it } from 'vitest';
import { writeModel } from '../../src/main/onnx/model-proto.ts';
import { createSession } from '../../src/main/onnx/session.ts';
import { probeShapes } from '../../src/main/onnx/shapes.ts';
import { canonize } from '../../src/main/relevance/canonize.ts';
import { compileRelevance, UnsupportedOperatorError } from '../../src/main/relevance/compiler.ts';
import {
  ModelSpec,
  attr,
  compileOnly,
  expectClose,
  product,
  randomArray,
  rng,
  runModel,
  runRelevance,
  zPlusReference,
  type ConvSpec,
} from './harness.ts';

const conv3x3 = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) };
const conv1x1 = { kernel_shape: attr.ints([1, 1]) };

describe('canonisation: BatchNormalization right after Conv is folded', () => {
  const spec: ConvSpec = {
    inChannels: 2,
    outChannels: 3,
    height: 5,
    width: 5,
    kernel: [3, 3],
    pads: [1, 1, 1, 1],
  };
  const dims = [1, 2, 5, 5];

  function convBnModel(epsilon: number | undefined, seed: number) {
    const random = rng(seed);
    const weight = randomArray(random, 3 * 2 * 9, { zeros: 0.1 });
    const bias = randomArray(random, 3);
    const gamma = Float32Array.from([1.5, -0.8, 0.6]);
    const beta = Float32Array.from([0.1, -0.2, 0.3]);
    const mean = Float32Array.from([0.2, -0.1, 0.05]);
    const variance = Float32Array.from([0.7, 1.3, 0.4]);
    const m = new ModelSpec();
    const c = m.node('Conv', ['image', m.float('W', [3, 2, 3, 3], weight), m.float('B', [3], bias)], {
      name: 'conv',
      attributes: conv3x3,
    });
    const bn = m.node(
      'BatchNormalization',
      [
        c,
        m.float('gamma', [3], gamma),
        m.float('beta', [3], beta),
        m.float('mean', [3], mean),
        m.float('var', [3], variance),
      ],
      {
        name: 'bn',
        attributes: epsilon === undefined ? {} : { epsilon: attr.float(epsilon) },
      },
    );
    m.node('Relu', [bn], { outputs: ['embedding'] });
    const eps = epsilon ?? 1e-5;
    const scale = Array.from(gamma, (g, o) => g / Math.sqrt(variance[o] + eps));
    const folded = Float32Array.from(weight, (w, i) => w * scale[Math.floor(i / 18)]);
    const foldedBias = Float32Array.from(bias, (b, o) => (b - mean[o]) * scale[o] + beta[o]);
    return {
      model: m.build(dims, ['embedding']),
      image: randomArray(random, 50),
      folded,
      foldedBias,
      random,
    };
  }

  it('the folded copy computes the same forward outputs (within 1e-5) and the BN unit is gone', async () => {
    const { model, image } = convBnModel(undefined, 1);
    const original = await runModel(model, { image: { data: image, dims } });
    const shapes = await probeShapes(model, 'image', dims);
    const canonical = canonize(model, { batchNormEpsilon: 0 });
    const lrp = canonical.relevanceName;
    expect(canonical.units.some((u) => u.node.opType === 'BatchNormalization')).toBe(false);
    const convUnit = canonical.units.find((u) => u.kind === 'conv')!;
    expect(convUnit.node.inputs[1]).not.toBe('W'); // the folded weight
    const compiled = compileRelevance(canonical, shapes, {
      inputName: 'image',
      outputs: ['embedding', lrp('embedding')],
      passes: [{ from: lrp('embedding'), to: 'image' }],
    });
    const forward = await runModel(compiled.forward, { image: { data: image, dims } });
    const reference = original.embedding.data as Float32Array;
    expect(Array.from(forward.embedding.data as Float32Array)).toEqual(Array.from(reference));
    expectClose(forward[lrp('embedding')].data as Float32Array, reference, {
      rtol: 1e-5,
      atol: 1e-6,
      label: 'folded forward',
    });
  });

  it('the folded batch norm keeps its own ε as the 1/√(1+ε) scale (ε = 1e-3), and relevance is z⁺ with the folded weights', async () => {
    const { model, image, folded, foldedBias, random } = convBnModel(1e-3, 2);
    const original = (await runModel(model, { image: { data: image, dims } })).embedding.data as Float32Array;
    const k = 3;
    const seeds = randomArray(random, k * 75);
    const lrpName = canonize(model, { batchNormEpsilon: 0 }).relevanceName('embedding');
    expect(lrpName).not.toBe('embedding');
    const run = await runRelevance({
      model,
      input: image,
      inputDims: dims,
      from: lrpName,
      to: 'image',
      seeds,
      k,
      outputs: [lrpName],
    });
    const scaled = original.map((v) => v / Math.sqrt(1 + 1e-3));
    // Folding changes float32 rounding; the tolerance stays far below the 5e-4 that the scale makes.
    const largest = Math.max(...original.map(Math.abs));
    expectClose(run.forward[lrpName].data as Float32Array, scaled, {
      rtol: 2e-6,
      atol: 1e-6 * largest,
      label: 'scaled forward',
    });
    const reference = zPlusReference(spec, image, folded, foldedBias, seeds, k);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  it('a batch norm after a conv whose output has another consumer is not folded (pass)', async () => {
    const m = new ModelSpec();
    const c = m.node('Conv', ['image', m.float('W', [3, 2, 3, 3], randomArray(rng(3), 54))], {
      attributes: conv3x3,
    });
    const bn = m.node(
      'BatchNormalization',
      [
        c,
        m.float('g', [3], [1, 2, 3]),
        m.float('b', [3], [0, 0, 0]),
        m.float('m', [3], [0, 0, 0]),
        m.float('v', [3], [1, 1, 1]),
      ],
      { name: 'bn' },
    );
    m.node('Relu', [bn], { outputs: ['embedding'] });
    m.node('Identity', [c], { outputs: ['side'] });
    const canonical = canonize(m.build(dims, ['embedding', 'side']), { batchNormEpsilon: 0 });
    expect(canonical.units.find((u) => u.node.name === 'bn')?.kind).toBe('pass');
  });
});

describe('canonisation: SiLU, squeeze-excitation gates and what is not recognised', () => {
  const dims = [1, 3, 4, 4];

  it.each([
    { name: 'Mul(x, Sigmoid(x))', order: 'xs' },
    { name: 'Mul(Sigmoid(x), x)', order: 'sx' },
  ])('SiLU $name is one pass unit', async ({ order }) => {
    const random = rng(11);
    const k = 2;
    const m = new ModelSpec();
    const s = m.node('Sigmoid', ['image']);
    m.node('Mul', order === 'xs' ? ['image', s] : [s, 'image'], { name: 'silu', outputs: ['embedding'] });
    const seeds = randomArray(random, k * 48);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: randomArray(random, 48),
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    const unit = run.canonical.unitByOutput.get('embedding')!;
    expect(unit.kind).toBe('pass');
    expect(unit.inputs).toEqual(['image']);
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
  });

  it('SiLU after a conv: relevance at the conv output is the seed, then z⁺', async () => {
    const random = rng(12);
    const k = 2;
    const spec: ConvSpec = {
      inChannels: 3,
      outChannels: 2,
      height: 4,
      width: 4,
      kernel: [3, 3],
      pads: [1, 1, 1, 1],
    };
    const weight = randomArray(random, 2 * 3 * 9, { zeros: 0.1 });
    const m = new ModelSpec();
    const c = m.node('Conv', ['image', m.float('W', [2, 3, 3, 3], weight)], { attributes: conv3x3 });
    const s = m.node('Sigmoid', [c]);
    m.node('Mul', [c, s], { outputs: ['embedding'] });
    const image = randomArray(random, 48);
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
    const reference = zPlusReference(spec, image, weight, undefined, seeds, k);
    expectClose(run.relevance, reference.relevance, { rtol: 1e-4, scale: reference.magnitude });
  });

  /** x = Relu(image); gate = act(Conv(Relu(Conv(pool(x))))); y = Mul(x, gate). */
  function seModel(
    options: {
      pool?: 'GlobalAveragePool' | 'ReduceMean';
      gate?: 'Sigmoid' | 'HardSigmoid';
      gateFirst?: boolean;
      pooledFrom?: 'x' | 'other';
    } = {},
  ) {
    const random = rng(13);
    const m = new ModelSpec();
    const x = m.node('Relu', ['image'], { name: 'relu_x' });
    const other = m.node('Conv', ['image', m.float('Wo', [3, 3, 1, 1], randomArray(random, 9))], {
      name: 'other_conv',
      attributes: conv1x1,
    });
    const source = options.pooledFrom === 'other' ? other : x;
    const pooled =
      options.pool === 'ReduceMean'
        ? m.node('ReduceMean', [source], {
            name: 'pool',
            attributes: { axes: attr.ints([2, 3]), keepdims: attr.int(1) },
          })
        : m.node('GlobalAveragePool', [source], { name: 'pool' });
    const c1 = m.node(
      'Conv',
      [pooled, m.float('W1', [2, 3, 1, 1], randomArray(random, 6)), m.float('B1', [2], [0.1, -0.1])],
      { name: 'se_reduce', attributes: conv1x1 },
    );
    const r = m.node('Relu', [c1], { name: 'se_relu' });
    const c2 = m.node(
      'Conv',
      [r, m.float('W2', [3, 2, 1, 1], randomArray(random, 6)), m.float('B2', [3], [0.2, 0, -0.2])],
      { name: 'se_expand', attributes: conv1x1 },
    );
    const g = m.node(options.gate ?? 'Sigmoid', [c2], { name: 'gate' });
    m.node('Mul', options.gateFirst ? [g, x] : [x, g], { name: 'excite', outputs: ['embedding'] });
    return { model: m.build(dims, ['embedding']), c1, c2 };
  }

  it.each([
    { name: 'Mul(x, Sigmoid(…GlobalAveragePool(x)))', options: {} },
    { name: 'Mul(Sigmoid(…), x) (gate first)', options: { gateFirst: true } },
    { name: 'pooled with ReduceMean', options: { pool: 'ReduceMean' as const } },
    { name: 'HardSigmoid gate', options: { gate: 'HardSigmoid' as const } },
  ])('squeeze-excitation $name is a gate unit whose relevance goes entirely to x', async ({ options }) => {
    const random = rng(14);
    const k = 3;
    const { model } = seModel(options);
    const seeds = randomArray(random, k * 48);
    const run = await runRelevance({
      model,
      input: randomArray(random, 48),
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    const unit = run.canonical.unitByOutput.get('embedding')!;
    expect(unit.kind).toBe('gate');
    expect(unit.inputs).toEqual(['relu_x_out']);
    // Relu is pass, so the whole seed arrives at the image: nothing leaked into (or came back from) the gate branch.
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
    expect(run.compiled.passes[0].model.graph.nodes.some((n) => n.opType === 'ConvTranspose')).toBe(false);
  });

  it('Mul(a, Sigmoid(b)) with b ≠ a and no pooled branch is unsupported', async () => {
    const random = rng(15);
    const m = new ModelSpec();
    const a = m.node('Conv', ['image', m.float('Wa', [3, 3, 1, 1], randomArray(random, 9))], {
      attributes: conv1x1,
    });
    const b = m.node('Conv', ['image', m.float('Wb', [3, 3, 1, 1], randomArray(random, 9))], {
      attributes: conv1x1,
    });
    const s = m.node('Sigmoid', [b]);
    m.node('Mul', [a, s], { name: 'not_silu', outputs: ['embedding'] });
    const { canonical, compile } = await compileOnly(
      m.build(dims, ['embedding']),
      dims,
      'embedding',
      'image',
    );
    expect(canonical.unitByOutput.get('embedding')?.kind).toBe('unsupported');
    expect(compile).toThrow(UnsupportedOperatorError);
    expect(compile).toThrow("node 'not_silu' (Mul)");
  });

  it('a gate pooled from another tensor than the one it multiplies is unsupported', async () => {
    const { model } = seModel({ pooledFrom: 'other' });
    const { canonical, compile } = await compileOnly(model, dims, 'embedding', 'image');
    expect(canonical.unitByOutput.get('embedding')?.kind).toBe('unsupported');
    expect(compile).toThrow(UnsupportedOperatorError);
  });

  it('a product whose second factor also depends on x directly (not only through the pooled branch) is not a gate', async () => {
    // Mul(x, Tanh(x) + Sigmoid(Conv(GlobalAveragePool(x)))): g is not a gate computed from a pooled branch of x.
    const m = new ModelSpec();
    const x = m.node('Relu', ['image']);
    const pooled = m.node('GlobalAveragePool', [x]);
    const c = m.node('Conv', [pooled, m.float('W', [3, 3, 1, 1], randomArray(rng(17), 9))], {
      attributes: conv1x1,
    });
    const g = m.node('Add', [m.node('Tanh', [x]), m.node('Sigmoid', [c])]);
    m.node('Mul', [x, g], { name: 'product', outputs: ['embedding'] });
    const { canonical, compile } = await compileOnly(
      m.build(dims, ['embedding']),
      dims,
      'embedding',
      'image',
    );
    expect(canonical.unitByOutput.get('embedding')?.kind).toBe('unsupported');
    expect(compile).toThrow(UnsupportedOperatorError);
  });

  it('Add of a computed tensor and a constant is pass, not sum', async () => {
    const random = rng(16);
    const k = 2;
    const m = new ModelSpec();
    m.node('Add', ['image', m.float('c', [1, 3, 1, 1], [0.5, -1, 2])], { outputs: ['embedding'] });
    const seeds = randomArray(random, k * 48);
    const run = await runRelevance({
      model: m.build(dims, ['embedding']),
      input: randomArray(random, 48),
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('pass');
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
  });
});

describe('unsupported operators', () => {
  const dims = [1, 2, 3, 3];

  function withOperator(
    op: 'Softmax' | 'Sin' | 'Mul',
    placement: 'onPath' | 'offPath' | 'beforeTo' | 'afterFrom',
  ) {
    const random = rng(21);
    const m = new ModelSpec();
    const bad = (input: string, outputs?: string[]) =>
      op === 'Mul'
        ? m.node('Mul', [m.node('Relu', [input]), m.node('Tanh', [input])], { name: 'bad_node', outputs })
        : m.node(op, [input], {
            name: 'bad_node',
            outputs,
            attributes: op === 'Softmax' ? { axis: attr.int(1) } : {},
          });
    const conv = (input: string, outputs?: string[]) =>
      m.node(
        'Conv',
        [
          input,
          m.float(`W${m.nodes.length}`, [2, 2, 3, 3], randomArray(random, 36)),
          m.float(`B${m.nodes.length}`, [2], [0.1, 0.2]),
        ],
        {
          attributes: conv3x3,
          outputs,
        },
      );
    const outputs = ['embedding'];
    if (placement === 'onPath') {
      conv(bad(conv('image')), ['embedding']);
    } else if (placement === 'offPath') {
      conv('image', ['embedding']);
      bad('image', ['side']); // a branch that does not lead to the seed
      outputs.push('side');
    } else if (placement === 'beforeTo') {
      conv(bad('image'), ['embedding']);
    } else {
      conv('image', ['feature']);
      bad('feature', ['embedding']);
    }
    return m.build(dims, outputs);
  }

  it.each(['Softmax', 'Sin', 'Mul'] as const)(
    '%s on the relevance path throws UnsupportedOperatorError naming node and operator',
    async (op) => {
      const { compile } = await compileOnly(withOperator(op, 'onPath'), dims, 'embedding', 'image');
      let error: unknown;
      try {
        compile();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UnsupportedOperatorError);
      expect((error as UnsupportedOperatorError).node.name).toBe('bad_node');
      expect((error as Error).message).toContain("'bad_node'");
      expect((error as Error).message).toContain(`(${op})`);
    },
  );

  it.each(['Softmax', 'Sin', 'Mul'] as const)(
    '%s off the relevance path does not throw, and the pass runs',
    async (op) => {
      const random = rng(22);
      const model = withOperator(op, 'offPath');
      const { compile } = await compileOnly(model, dims, 'embedding', 'image');
      expect(compile).not.toThrow();
      const seeds = randomArray(random, 2 * 18);
      const run = await runRelevance({
        model,
        input: randomArray(random, 18),
        inputDims: dims,
        from: 'embedding',
        to: 'image',
        seeds,
        k: 2,
      });
      expect(run.relevanceDims).toEqual([2, 2, 3, 3]);
      expect(run.relevance.every(Number.isFinite)).toBe(true);
    },
  );

  it('an unsupported operator below the target layer matters only for passes that go through it', async () => {
    const model = withOperator('Sin', 'beforeTo');
    const toLayer = await compileOnly(model, dims, 'embedding', 'bad_node_out');
    expect(toLayer.compile).not.toThrow();
    const toImage = await compileOnly(model, dims, 'embedding', 'image');
    expect(toImage.compile).toThrow(UnsupportedOperatorError);
  });

  it('an unsupported operator above the seed tensor does not matter', async () => {
    const model = withOperator('Softmax', 'afterFrom');
    const { compile } = await compileOnly(model, dims, 'feature', 'image');
    expect(compile).not.toThrow();
  });
});

describe('batch-norm ε emulation (canonize default batchNormEpsilon 1e-5)', () => {
  it('scales the copy’s conv outputs by 1/√(1+1e-5), except convs inside a squeeze-excitation gate branch', async () => {
    const random = rng(31);
    const dims = [1, 3, 4, 4];
    const m = new ModelSpec();
    const x = m.node('Relu', ['image']);
    const pooled = m.node('GlobalAveragePool', [x]);
    const c1 = m.node(
      'Conv',
      [
        pooled,
        m.float('W1', [2, 3, 1, 1], randomArray(random, 6, { zeros: 0 })),
        m.float('B1', [2], [0.3, -0.2]),
      ],
      { attributes: conv1x1 },
    );
    const r = m.node('Relu', [c1]);
    const c2 = m.node(
      'Conv',
      [
        r,
        m.float('W2', [3, 2, 1, 1], randomArray(random, 6, { zeros: 0 })),
        m.float('B2', [3], [0.1, 0.2, 0.3]),
      ],
      { attributes: conv1x1 },
    );
    const g = m.node('Sigmoid', [c2]);
    const y = m.node('Mul', [x, g]);
    m.node(
      'Conv',
      [
        y,
        m.float('W3', [2, 3, 3, 3], randomArray(random, 54, { zeros: 0 })),
        m.float('B3', [2], [0.5, -0.5]),
      ],
      {
        attributes: conv3x3,
        outputs: ['embedding'],
      },
    );
    const model = m.build(dims, ['embedding']);
    const shapes = await probeShapes(model, 'image', dims);
    const canonical = canonize(model);
    const lrp = canonical.relevanceName;
    expect(lrp('embedding')).not.toBe('embedding');
    expect(lrp('image')).toBe('image');
    const watched = ['embedding', c1, c2];
    const compiled = compileRelevance(canonical, shapes, {
      inputName: 'image',
      outputs: [...watched, ...watched.map(lrp)],
      passes: [{ from: lrp('embedding'), to: 'image' }],
    });
    const image = randomArray(random, 48);
    const session = await createSession(writeModel(compiled.forward), 'cpu');
    const out = await session.run({ image: { data: image, dims } });
    await session.release();
    const values = (t: string) => out[t].data as Float32Array;
    const scale = 1 / Math.sqrt(1 + 1e-5);
    // The main conv: scaled. Max relative difference to the unscaled tensor is ≈ 5e-6, far above float32 rounding.
    // (The runtime may fuse the scale into the conv weights, so rounding differs by a few ulps of the largest value.)
    const largest = Math.max(...values('embedding').map(Math.abs));
    expectClose(
      values(lrp('embedding')),
      values('embedding').map((v) => v * scale),
      { rtol: 5e-7, atol: 2e-7 * largest, label: 'main conv' },
    );
    const at = values('embedding').findIndex((v) => Math.abs(v) === largest);
    expect(Math.abs(values(lrp('embedding'))[at] / values('embedding')[at] - 1)).toBeGreaterThan(4e-6);
    // Gate-branch convs: not scaled.
    expectClose(values(lrp(c1)), values(c1), { rtol: 2e-7, atol: 1e-9, label: 'se_reduce' });
    expectClose(values(lrp(c2)), values(c2), { rtol: 2e-7, atol: 1e-9, label: 'se_expand' });
    // The gate is still recognised in the copy.
    expect(canonical.unitByOutput.get(lrp(y))?.kind).toBe('gate');
    // And with the emulation off, the names are the originals.
    expect(canonize(model, { batchNormEpsilon: 0 }).relevanceName('embedding')).toBe('embedding');
    expect(product(shapes.get('embedding')!)).toBe(32);
  });
});
