import { describe, expect, it } from 'vitest';
import { UnsupportedOperatorError } from '../../src/main/relevance/compiler.ts';
import { ModelSpec, attr, compileOnly, randomArray, rng, runRelevance } from './harness.ts';

const dims = [1, 2, 3, 3];
const size = 18;

/** Builds image → op(s) → embedding, runs k = 3 seeds through, returns relevance and seeds. */
async function passCase(build: (m: ModelSpec) => string, opset = 17, seed = 1) {
  const random = rng(seed);
  const k = 3;
  const m = new ModelSpec();
  const last = build(m);
  m.node('Identity', [last], { outputs: ['embedding'] });
  const model = m.build(dims, ['embedding'], opset);
  const image = randomArray(random, size);
  const seeds = randomArray(random, k * size);
  const run = await runRelevance({
    model,
    input: image,
    inputDims: dims,
    from: 'embedding',
    to: 'image',
    seeds,
    k,
  });
  return { run, seeds };
}

describe('pass rule: elementwise operators hand relevance on unchanged', () => {
  const cases: { name: string; opset?: number; build: (m: ModelSpec) => string }[] = [
    { name: 'Relu', build: (m) => m.node('Relu', ['image']) },
    {
      name: 'LeakyRelu',
      build: (m) => m.node('LeakyRelu', ['image'], { attributes: { alpha: attr.float(0.1) } }),
    },
    { name: 'Sigmoid', build: (m) => m.node('Sigmoid', ['image']) },
    { name: 'Tanh', build: (m) => m.node('Tanh', ['image']) },
    {
      name: 'Clip with min and max inputs',
      build: (m) => m.node('Clip', ['image', m.float('lo', [], [-0.3]), m.float('hi', [], [0.6])]),
    },
    {
      name: 'Clip with only max (ReLU6-like, min omitted)',
      build: (m) => m.node('Clip', ['image', '', m.float('hi', [], [0.5])]),
    },
    { name: 'HardSigmoid', build: (m) => m.node('HardSigmoid', ['image']) },
    { name: 'HardSwish', build: (m) => m.node('HardSwish', ['image']) },
    { name: 'Elu', build: (m) => m.node('Elu', ['image']) },
    { name: 'Softplus', build: (m) => m.node('Softplus', ['image']) },
    { name: 'Gelu (opset 20)', opset: 20, build: (m) => m.node('Gelu', ['image']) },
    { name: 'Pow with a constant exponent', build: (m) => m.node('Pow', ['image', m.float('p', [], [3])]) },
    {
      name: 'BatchNormalization not after a conv',
      build: (m) =>
        m.node('BatchNormalization', [
          'image',
          m.float('gamma', [2], [1.5, -0.7]),
          m.float('beta', [2], [0.2, -0.1]),
          m.float('mean', [2], [0.1, -0.3]),
          m.float('var', [2], [0.5, 2]),
        ]),
    },
    {
      name: 'Mul by a constant',
      build: (m) => m.node('Mul', ['image', m.float('c', [1, 2, 1, 1], [2, -3])]),
    },
    {
      name: 'Mul by a constant (constant first)',
      build: (m) => m.node('Mul', [m.float('c', [], [0.25]), 'image']),
    },
    { name: 'Div by a constant', build: (m) => m.node('Div', ['image', m.float('c', [], [4])]) },
    {
      name: 'Add of a constant',
      build: (m) => m.node('Add', ['image', m.float('c', [1, 2, 1, 1], [1, -2])]),
    },
    {
      name: 'Add of a constant (constant first)',
      build: (m) => m.node('Add', [m.float('c', [], [0.5]), 'image']),
    },
    { name: 'Sub of a constant', build: (m) => m.node('Sub', ['image', m.float('c', [], [0.5])]) },
    {
      name: 'a chain: Relu → Clip → Sigmoid → BatchNormalization → Mul by a constant',
      build: (m) => {
        const r = m.node('Relu', ['image']);
        const c = m.node('Clip', [r, m.float('lo', [], [0]), m.float('hi', [], [6])]);
        const s = m.node('Sigmoid', [c]);
        const bn = m.node('BatchNormalization', [
          s,
          m.float('g', [2], [1, 2]),
          m.float('b', [2], [0, 1]),
          m.float('mu', [2], [0, 0.5]),
          m.float('v', [2], [1, 1]),
        ]);
        return m.node('Mul', [bn, m.float('k', [], [3])]);
      },
    },
  ];

  it.each(cases)('$name', async ({ build, opset }) => {
    const { run, seeds } = await passCase(build, opset);
    expect(run.relevanceDims).toEqual([3, ...dims.slice(1)]);
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
    for (const unit of run.canonical.units) expect(['pass', 'structure']).toContain(unit.kind);
  });

  it('an output normalisation x / ReduceL2(x) (clamped and expanded, as F.normalize exports) is pass', async () => {
    const random = rng(2);
    const k = 2;
    const m = new ModelSpec();
    const flat = m.node('Flatten', ['image']);
    const norm = m.node('ReduceL2', [flat], { attributes: { axes: attr.ints([1]), keepdims: attr.int(1) } });
    const clamped = m.node('Clip', [norm, m.float('eps', [], [1e-12])]);
    const expanded = m.node('Expand', [clamped, m.node('Shape', [flat])]);
    m.node('Div', [flat, expanded], { name: 'normalise', outputs: ['embedding'] });
    const model = m.build(dims, ['embedding']);
    const image = randomArray(random, size);
    const seeds = randomArray(random, k * size);
    const run = await runRelevance({
      model,
      input: image,
      inputDims: dims,
      from: 'embedding',
      to: 'image',
      seeds,
      k,
    });
    expect(run.canonical.unitByOutput.get('embedding')?.kind).toBe('pass');
    expect(Array.from(run.relevance)).toEqual(Array.from(seeds));
  });

  it.each([
    { name: 'Sub with the computed tensor as subtrahend', op: 'Sub' },
    { name: 'Div with the computed tensor as divisor', op: 'Div' },
  ])('$name is unsupported', async ({ op }) => {
    const m = new ModelSpec();
    m.node(op, [m.float('c', [], [1]), 'image'], { name: 'bad', outputs: ['embedding'] });
    const { compile } = await compileOnly(m.build(dims, ['embedding']), dims, 'embedding', 'image');
    expect(compile).toThrow(UnsupportedOperatorError);
    expect(compile).toThrow(`node 'bad' (${op})`);
  });
});
