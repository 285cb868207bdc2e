/**
 * Shared helpers for the relevance-rule tests: a tiny model builder, a seeded RNG, a runner that
 * compiles and runs forward + relevance models on onnxruntime (CPU), plain float64 reference
 * implementations, and tolerance checks.
 */
import { expect } from 'vitest';
import {
  DataType,
  floatTensor,
  int64Tensor,
  type IrAttribute,
  type IrModel,
  type IrNode,
  type IrTensor,
} from '../../src/main/onnx/ir.ts';
import { writeModel } from '../../src/main/onnx/model-proto.ts';
import { createSession, type NamedArray } from '../../src/main/onnx/session.ts';
import { probeShapes } from '../../src/main/onnx/shapes.ts';
import { canonize, type CanonicalModel, type CanonizeOptions } from '../../src/main/relevance/canonize.ts';
import { compileRelevance, type CompiledRelevance } from '../../src/main/relevance/compiler.ts';

// ---------------------------------------------------------------------------------------------------
// Random numbers

/** mulberry32, shared with the synthetic catalogs. */
export { seededRandom as rng } from '../fixtures/synthetic-catalog.ts';

/**
 * Random float32 values in [lo, hi) with a share of exact zeros (default 20 %). The default range
 * includes negative values.
 */
export function randomArray(
  random: () => number,
  size: number,
  options: { lo?: number; hi?: number; zeros?: number } = {},
): Float32Array {
  const { lo = -1, hi = 1, zeros = 0.2 } = options;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = random() < zeros ? 0 : lo + (hi - lo) * random();
  return out;
}

export const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------------
// Building models

export const attr = {
  int: (value: number): IrAttribute => ({ kind: 'int', value }),
  ints: (value: number[]): IrAttribute => ({ kind: 'ints', value }),
  float: (value: number): IrAttribute => ({ kind: 'float', value }),
  string: (value: string): IrAttribute => ({ kind: 'string', value }),
};

/** Collects nodes and initializers of a test model. */
export class ModelSpec {
  readonly nodes: IrNode[] = [];
  readonly initializers = new Map<string, IrTensor>();
  private count = 0;

  /** Adds a node; `name` defaults to `<opType>_<n>`, outputs to `<name>_out` (or the names given). */
  node(
    opType: string,
    inputs: string[],
    options: { attributes?: Record<string, IrAttribute>; name?: string; outputs?: string[] } = {},
  ): string {
    const name = options.name ?? `${opType}_${this.count++}`;
    const outputs = options.outputs ?? [`${name}_out`];
    this.nodes.push({ name, opType, domain: '', inputs, outputs, attributes: options.attributes ?? {} });
    return outputs[0];
  }

  float(name: string, dims: number[], data: Float32Array | number[]): string {
    this.initializers.set(name, floatTensor(name, dims, data));
    return name;
  }

  int64(name: string, data: number[]): string {
    this.initializers.set(name, int64Tensor(name, [data.length], data));
    return name;
  }

  /** The model: input `image` of shape [N, ...dims.slice(1)], the listed outputs (float, dynamic shape). */
  build(inputDims: number[], outputs: string[], opset = 17, inputName = 'image'): IrModel {
    return {
      irVersion: 8,
      producerName: 'relevance-test',
      opsetImports: [{ domain: '', version: opset }],
      graph: {
        name: 'test',
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: [{ name: inputName, elemType: DataType.FLOAT, shape: ['N', ...inputDims.slice(1)] }],
        outputs: outputs.map((name) => ({ name, elemType: DataType.FLOAT, shape: [] })),
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Running

export async function runModel(
  model: IrModel,
  feeds: Record<string, NamedArray>,
  fetches?: string[],
): Promise<Record<string, NamedArray>> {
  const session = await createSession(writeModel(model), 'cpu');
  try {
    return await session.run(feeds, fetches);
  } finally {
    await session.release();
  }
}

export interface RelevanceRun {
  relevance: Float32Array;
  relevanceDims: number[];
  /** Every output of the compiled forward model at batch 1. */
  forward: Record<string, NamedArray>;
  canonical: CanonicalModel;
  compiled: CompiledRelevance;
  shapes: Map<string, number[]>;
}

export interface RelevanceOptions {
  model: IrModel;
  input: Float32Array;
  inputDims: number[];
  /** Where the seed enters (already a relevance name) and where relevance is read. */
  from: string;
  to: string;
  /** k seeds, concatenated; each has the shape of `from` without its batch axis. */
  seeds: Float32Array;
  k: number;
  canonize?: CanonizeOptions;
  /** More forward outputs to request. */
  outputs?: string[];
  /** Runs the forward model at batch 2 (image 0: `otherInput`, image 1: `input`) and feeds image 1's stats. */
  otherInput?: Float32Array;
}

function sliceBatch(value: NamedArray, index: number): NamedArray {
  const perImage = value.data.length / value.dims[0];
  const data = value.data.slice(index * perImage, (index + 1) * perImage) as NamedArray['data'];
  return { data, dims: [1, ...value.dims.slice(1)] };
}

/** Canonises (batchNormEpsilon 0 unless told), compiles one pass, runs forward and then the pass. */
export async function runRelevance(options: RelevanceOptions): Promise<RelevanceRun> {
  const { model, input, inputDims, from, to, seeds, k } = options;
  const shapes = await probeShapes(model, 'image', inputDims);
  const canonical = canonize(model, options.canonize ?? { batchNormEpsilon: 0 });
  const compiled = compileRelevance(canonical, shapes, {
    inputName: 'image',
    // At least one output, so that the forward model is never empty (a pass may need no stats).
    outputs: options.outputs ?? [model.graph.outputs[0].name],
    passes: [{ from, to }],
  });
  let forward: Record<string, NamedArray>;
  if (options.otherInput) {
    const both = new Float32Array(input.length * 2);
    both.set(options.otherInput, 0);
    both.set(input, input.length);
    const out = await runModel(compiled.forward, { image: { data: both, dims: [2, ...inputDims.slice(1)] } });
    forward = Object.fromEntries(Object.entries(out).map(([name, value]) => [name, sliceBatch(value, 1)]));
  } else {
    forward = await runModel(compiled.forward, { image: { data: input, dims: inputDims } });
  }
  const fromDims = shapes.get(from) ?? canonicalShape(canonical, shapes, from);
  expect(seeds.length).toBe(k * product(fromDims.slice(1)));
  const feeds: Record<string, NamedArray> = { seed: { data: seeds, dims: [k, ...fromDims.slice(1)] } };
  for (const stat of compiled.passes[0].stats) {
    expect(forward[stat], `stat ${stat} is a forward output`).toBeDefined();
    feeds[stat] = forward[stat];
  }
  const out = await runModel(compiled.passes[0].model, feeds);
  return {
    relevance: out.relevance.data as Float32Array,
    relevanceDims: out.relevance.dims,
    forward,
    canonical,
    compiled,
    shapes,
  };
}

/** Probes shapes, canonises (batchNormEpsilon 0 unless told) and compiles one pass, without running it. */
export async function compileOnly(
  model: IrModel,
  inputDims: number[],
  from: string,
  to: string,
  options: CanonizeOptions = { batchNormEpsilon: 0 },
) {
  const shapes = await probeShapes(model, 'image', inputDims);
  const canonical = canonize(model, options);
  return {
    canonical,
    compile: () =>
      compileRelevance(canonical, shapes, { inputName: 'image', outputs: [from], passes: [{ from, to }] }),
  };
}

function canonicalShape(canonical: CanonicalModel, shapes: Map<string, number[]>, tensor: string): number[] {
  const original = canonical.shapeAlias.get(tensor);
  const dims = original ? shapes.get(original) : undefined;
  if (!dims) throw new Error(`no shape for ${tensor}`);
  return dims;
}

/**
 * The Jacobian of a linear (or affine) single-input model at `x`, by finite differences of the model
 * run on onnxruntime: column i is f(x + e_i) − f(x) (exact for affine f up to float32 rounding).
 * Returned row-major as [outSize][inSize].
 */
export async function finiteDifferenceJacobian(
  model: IrModel,
  output: string,
  x: Float32Array,
  inputDims: number[],
  options: { batched?: boolean } = {},
) {
  const n = x.length;
  const columns: Float32Array[] = [];
  let outDims: number[];
  if (options.batched ?? true) {
    const batch = new Float32Array(n * (n + 1));
    for (let i = 0; i <= n; i++) {
      batch.set(x, i * n);
      if (i < n) batch[i * n + i] += 1;
    }
    const out = await runModel(model, { image: { data: batch, dims: [n + 1, ...inputDims.slice(1)] } }, [
      output,
    ]);
    const y = out[output].data as Float32Array;
    const m = y.length / (n + 1);
    for (let i = 0; i <= n; i++) columns.push(y.subarray(i * m, (i + 1) * m));
    outDims = [1, ...out[output].dims.slice(1)];
  } else {
    // One run per perturbation at batch 1 (for models with batch-1 constants, such as a Concat operand).
    const session = await createSession(writeModel(model), 'cpu');
    try {
      for (let i = 0; i <= n; i++) {
        const xi = Float32Array.from(x);
        if (i < n) xi[i] += 1;
        const out = await session.run({ image: { data: xi, dims: inputDims } }, [output]);
        columns.push(out[output].data as Float32Array);
        outDims = out[output].dims;
      }
    } finally {
      await session.release();
    }
  }
  const base = columns[n];
  const m = base.length;
  const jacobian = new Float64Array(m * n);
  for (let i = 0; i < n; i++) for (let o = 0; o < m; o++) jacobian[o * n + i] = columns[i][o] - base[o];
  return { jacobian, outSize: m, outDims: outDims! };
}

/** Vector–Jacobian products Jᵀr for k seeds r (each of length outSize). */
export function vjp(
  jacobian: Float64Array,
  outSize: number,
  inSize: number,
  seeds: Float32Array,
  k: number,
): Float64Array {
  const result = new Float64Array(k * inSize);
  for (let s = 0; s < k; s++)
    for (let o = 0; o < outSize; o++) {
      const r = seeds[s * outSize + o];
      if (r === 0) continue;
      for (let i = 0; i < inSize; i++) result[s * inSize + i] += jacobian[o * inSize + i] * r;
    }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Reference formulas (float64)

export const STAB = 1e-6;
/** stab(z) = z + 1e-6·s, s the sign of z and +1 where z = 0. */
export const stab = (z: number) => z + STAB * (z >= 0 ? 1 : -1);
export const pos = (v: number) => (v > 0 ? v : 0);
export const neg = (v: number) => (v < 0 ? v : 0);

export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  height: number;
  width: number;
  kernel: [number, number];
  strides?: [number, number];
  /** [top, left, bottom, right] */
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
}

export function convOutputSize(spec: ConvSpec): [number, number] {
  const [sh, sw] = spec.strides ?? [1, 1];
  const [dh, dw] = spec.dilations ?? [1, 1];
  const [pt, pl, pb, pr] = spec.pads ?? [0, 0, 0, 0];
  const oh = Math.floor((spec.height + pt + pb - (dh * (spec.kernel[0] - 1) + 1)) / sh) + 1;
  const ow = Math.floor((spec.width + pl + pr - (dw * (spec.kernel[1] - 1) + 1)) / sw) + 1;
  return [oh, ow];
}

/**
 * Visits every (output cell, weight, input cell) triple of a convolution with x: [C,H,W],
 * w: [O, C/group, kh, kw]. `visit(o, outIndex, inIndex, weightIndex)`.
 */
export function forEachConvTerm(
  spec: ConvSpec,
  visit: (outIndex: number, inIndex: number, weightIndex: number, o: number) => void,
) {
  const [oh, ow] = convOutputSize(spec);
  const [sh, sw] = spec.strides ?? [1, 1];
  const [dh, dw] = spec.dilations ?? [1, 1];
  const [pt, pl] = spec.pads ?? [0, 0, 0, 0];
  const group = spec.group ?? 1;
  const cinPerGroup = spec.inChannels / group;
  const coutPerGroup = spec.outChannels / group;
  const [kh, kw] = spec.kernel;
  for (let o = 0; o < spec.outChannels; o++) {
    const g = Math.floor(o / coutPerGroup);
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const outIndex = (o * oh + y) * ow + x;
        for (let ci = 0; ci < cinPerGroup; ci++) {
          const c = g * cinPerGroup + ci;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * sh - pt + ky * dh;
            if (iy < 0 || iy >= spec.height) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x * sw - pl + kx * dw;
              if (ix < 0 || ix >= spec.width) continue;
              visit(
                outIndex,
                (c * spec.height + iy) * spec.width + ix,
                ((o * cinPerGroup + ci) * kh + ky) * kw + kx,
                o,
              );
            }
          }
        }
      }
  }
}

export function conv2d(
  spec: ConvSpec,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias?: ArrayLike<number>,
): Float64Array {
  const [oh, ow] = convOutputSize(spec);
  const out = new Float64Array(spec.outChannels * oh * ow);
  if (bias)
    for (let o = 0; o < spec.outChannels; o++)
      for (let i = 0; i < oh * ow; i++) out[o * oh * ow + i] = bias[o];
  forEachConvTerm(spec, (oi, ii, wi) => {
    out[oi] += x[ii] * w[wi];
  });
  return out;
}

/**
 * z⁺ (PAIRX.md): z = conv(x⁺,W⁺,b⁺) + conv(x⁻,W⁻); S = R/stab(z); R_in = x⁺·convᵀ(S,W⁺) + x⁻·convᵀ(S,W⁻).
 * Also returns a magnitude |x|·convᵀ(|S|,|W|) per input cell, the scale of float32 rounding errors.
 */
export function zPlusReference(
  spec: ConvSpec,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  seeds: Float32Array,
  k: number,
) {
  const [oh, ow] = convOutputSize(spec);
  const outSize = spec.outChannels * oh * ow;
  const inSize = x.length;
  const z = new Float64Array(outSize);
  if (bias)
    for (let o = 0; o < spec.outChannels; o++)
      for (let i = 0; i < oh * ow; i++) z[o * oh * ow + i] = pos(bias[o]);
  forEachConvTerm(spec, (oi, ii, wi) => {
    z[oi] += pos(x[ii]) * pos(w[wi]) + neg(x[ii]) * neg(w[wi]);
  });
  const relevance = new Float64Array(k * inSize);
  const magnitude = new Float64Array(k * inSize);
  for (let s = 0; s < k; s++) {
    const S = new Float64Array(outSize);
    for (let o = 0; o < outSize; o++) S[o] = seeds[s * outSize + o] / stab(z[o]);
    forEachConvTerm(spec, (oi, ii, wi) => {
      relevance[s * inSize + ii] += pos(x[ii]) * pos(w[wi]) * S[oi] + neg(x[ii]) * neg(w[wi]) * S[oi];
      magnitude[s * inSize + ii] += Math.abs(x[ii] * w[wi] * S[oi]);
    });
  }
  return { relevance, magnitude, z };
}

// ---------------------------------------------------------------------------------------------------
// Checks

/**
 * Elementwise |actual − expected| ≤ atol + rtol·max(|expected|, scale[i]). `scale` gives the size of
 * the terms that were summed (so cancellation does not demand more than float32 can give).
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { rtol?: number; atol?: number; scale?: ArrayLike<number>; label?: string } = {},
) {
  const { rtol = 1e-4, atol = 0, scale, label = 'values' } = options;
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const failures: string[] = [];
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const tolerance = atol + rtol * Math.max(Math.abs(e), scale ? scale[i] : 0);
    const error = Math.abs(a - e);
    if (!(error <= tolerance)) {
      if (failures.length < 8)
        failures.push(`[${i}] actual ${a} expected ${e} (tolerance ${tolerance.toExponential(2)})`);
      worst++;
    }
  }
  expect(failures, `${label}: ${worst} of ${expected.length} outside tolerance`).toEqual([]);
}

export const sum = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i];
  return s;
};
export const sumAbs = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.abs(values[i]);
  return s;
};
