import { GraphIndex } from './graph.ts';
import { DataType, type IrModel, type IrNode, type IrTensor } from './ir.ts';
import { writeModel } from './model-proto.ts';
import { createSession, type NamedArray } from './session.ts';

/**
 * Where a tensor holds the batch: on `axis`, whose size at batch 1 is `outer · inner`, the batch sitting
 * between the two factors. A plain tensor has it on axis 0 with nothing around it; Swin's windows fold it
 * outside the windows (`[B·nW, …]`: inner = nW); `nn.MultiheadAttention`'s sequence-first projections
 * inside the tokens (`[L·B, C]`: outer = L, inner = 1) and its heads inside the batch (`[B·H, L, d]`:
 * inner = H).
 */
export interface BatchLayout {
  axis: number;
  inner: number;
}

/** What a run at batch 1 tells about a graph: every tensor's shape, and the values of its shape computations. */
export interface GraphProbe {
  shapes: Map<string, number[]>;
  /**
   * Values of the tensors computed from the input's shape only (slice ends, pads, gather indices in
   * PyTorch's exports), which the relevance rules read as constants.
   */
  shapeValues: Map<string, IrTensor>;
  /**
   * Where tensors hold the batch when not plainly in front (attention's [tokens, batch, C], q/k/v stacked
   * before the batch, heads folded into it, projections over tokens × batch): the axis that grows with
   * the batch and how much of that axis lies inside the batch (`inner`; the rest, outside). Tensors not
   * listed carry it on axis 0, outside whatever else that axis folds in (Swin's batch × windows).
   */
  batchLayouts: Map<string, BatchLayout>;
  /** False when the model failed to run at batch 2 (a reshape with the batch written in, say). */
  batchable: boolean;
}

/** Shape computations are small; a larger tensor independent of the input's values is left unread. */
const MAX_SHAPE_VALUE_SIZE = 4096;

/**
 * Static shapes of every tensor at batch 1, read by running the model once on zeros with every node
 * output exposed. Exports from PyTorch rarely carry value_info, and a run is exact where inference
 * from operator semantics would need a shape function per operator.
 */
export async function probeGraph(
  model: IrModel,
  inputName: string,
  inputDims: number[],
  options: { batchable?: boolean } = {},
): Promise<GraphProbe> {
  const graph = model.graph;
  // In graph order, so that the first groups need only the first layers.
  const all = graph.nodes
    .filter((n) => n.opType !== 'Constant')
    .flatMap((n) => n.outputs)
    .filter((name) => name && !graph.initializers.has(name));
  const index = new GraphIndex(graph);
  // Two different images, so that the batch-2 run shows which of its values belong to the first.
  const perImage = inputDims.slice(1).reduce((a, b) => a * b, 1);
  const images = [probeImage(perImage * inputDims[0], 1), probeImage(perImage * inputDims[0], 2)];
  /**
   * One run at `count` images that fetches `names`, on the graph cut to what they need and exposing only
   * them. With every tensor an output, onnxruntime holds all of them until a run ends, whatever it is
   * asked to fetch: loading Swin-L at 384 px peaked at 18.6 GB that way.
   */
  const runAt = async (count: number, names: string[]) => {
    const needed = new Set(names);
    const nodes: IrNode[] = [];
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const node = graph.nodes[i];
      if (!node.outputs.some((o) => needed.has(o))) continue;
      nodes.push(node);
      for (const input of node.inputs) if (input) needed.add(input);
    }
    const part: IrModel = {
      ...model,
      graph: {
        ...graph,
        nodes: nodes.reverse(),
        initializers: new Map([...graph.initializers].filter(([name]) => needed.has(name))),
        inputs: graph.inputs.filter((i) => i.name === inputName || (needed.has(i.name) && !graph.initializers.has(i.name))),
        // Element type 0: written without a type, which the runtime then infers.
        outputs: names.map((name) => ({ name, elemType: 0, shape: [] })),
      },
    };
    // Unoptimised: every tensor asked for is an output, so there is little to fuse, and onnxruntime's
    // graph passes over a Swin-B of 13,000 nodes took longer than the run (tv-swin's load 10.4 → 8.7 s).
    const session = await createSession(writeModel(part), 'cpu', { optimization: 'disabled' });
    try {
      const dims = [count * inputDims[0], ...inputDims.slice(1)];
      const data = new Float32Array(count * images[0].length);
      for (let i = 0; i < count; i++) data.set(images[i], i * images[0].length);
      return await session.run({ [inputName]: { data, dims } }, names);
    } finally {
      await session.release();
    }
  };
  const shapes = new Map<string, number[]>();
  const shapeValues = new Map<string, IrTensor>();
  shapes.set(inputName, inputDims);
  // Of every data tensor only a sample of values is kept: the probe of a large transformer exposes
  // gigabytes of intermediate tensors, twice over at batch 2.
  const samples = new Map<string, Sample>();
  let unusual = false;
  // The tensors are fetched in groups of about BATCH_1_BYTES, one run each, sized by the bytes per
  // tensor seen so far: fetched at once, every tensor of Swin-L at 384 px is held by onnxruntime and
  // copied to JavaScript together.
  let seenBytes = 0;
  for (let first = 0; first < all.length; ) {
    const count = first === 0 ? FIRST_GROUP : Math.max(1, Math.floor(BATCH_1_BYTES / (seenBytes / first)));
    const group = all.slice(first, first + count);
    const results: Record<string, NamedArray | undefined> = await runAt(1, group);
    for (const [name, value] of Object.entries(results)) {
      if (!value) continue;
      seenBytes += value.data.byteLength;
      shapes.set(name, value.dims);
      if (index.isConstant(name)) {
        if (value.data.length <= MAX_SHAPE_VALUE_SIZE) {
          const dataType = value.data instanceof BigInt64Array ? DataType.INT64 : value.data instanceof Float32Array ? DataType.FLOAT : undefined;
          if (dataType) shapeValues.set(name, { name, dataType, dims: value.dims, data: value.data });
        }
      } else if (value.dims.length > 0) {
        samples.set(name, sampleOf(value));
        unusual ||= value.dims[0] !== 1;
      }
      results[name] = undefined;
    }
    first += group.length;
  }
  const batchLayouts = new Map<string, BatchLayout>();
  let batchable = true;
  if (unusual && options.batchable !== false) {
    // A second run at batch 2 shows which axis grows with the batch (CNNs, whose tensors all start with
    // the batch, never need it), and which of its values are the first image's: where on that axis the
    // batch sits. Every tensor is looked at: a slice of q/k/v stacked before the batch starts with 1 too.
    // Outputs of operators that keep their input's shape (elementwise, matrix products, norms, softmax)
    // hold the batch where that input does and are not fetched; the rest are fetched in groups of at
    // most BATCH_2_BYTES, one run each.
    const derived = sameLayoutAs(graph, index, shapes);
    const names = [...samples.keys()].filter((name) => !derived.has(name));
    for (let first = 0; first < names.length && batchable; ) {
      let bytes = 0;
      let last = first;
      while (last < names.length && (last === first || bytes + 8 * product(shapes.get(names[last])!) <= BATCH_2_BYTES)) {
        bytes += 8 * product(shapes.get(names[last])!);
        last++;
      }
      const group = names.slice(first, last);
      const doubled = await runAt(2, group).catch(() => undefined);
      if (!doubled) batchable = false;
      for (const name of doubled ? group : []) {
        const layout = batchLayoutOf(shapes.get(name)!, samples.get(name)!, doubled![name]);
        if (layout && !(layout.axis === 0 && layout.inner === shapes.get(name)![0])) batchLayouts.set(name, layout);
      }
      first = last;
    }
    for (const [name, source] of derived) {
      const layout = batchLayouts.get(source);
      if (layout) batchLayouts.set(name, layout);
    }
  } else if (unusual) {
    batchable = false;
  }
  return { shapes, shapeValues, batchLayouts, batchable };
}

/** A fixed pseudo-random image in [-1, 1) (mulberry32), so that probes are reproducible. */
function probeImage(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Operators whose output has the shape of one of their computed inputs, element for element. */
const SHAPE_KEEPING = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Erf', 'Exp', 'Log', 'Abs', 'Neg', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh',
  'Clip', 'HardSigmoid', 'HardSwish', 'Gelu', 'Elu', 'Selu', 'Softplus', 'Mish', 'Softmax', 'LayerNormalization',
  'BatchNormalization', 'Cast', 'Dropout', 'Identity', 'Where', 'Min', 'Max', 'Sign', 'Equal',
]);

/**
 * Tensors that hold the batch where another does, by the operator that made them: shape-keeping
 * operators (the input of the same shape), matrix products (their computed left input, whose leading
 * axes and rows they keep). Followed through chains, to a tensor the probe fetches at batch 2.
 */
function sameLayoutAs(graph: IrModel['graph'], index: GraphIndex, shapes: Map<string, number[]>): Map<string, string> {
  const source = new Map<string, string>();
  const same = (a: number[] | undefined, b: number[] | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
  for (const node of graph.nodes) {
    const output = node.outputs[0];
    const dims = shapes.get(output);
    if (!output || !dims || index.isConstant(output)) continue;
    const computed = index.computedInputs(node);
    let from: string | undefined;
    if (SHAPE_KEEPING.has(node.opType)) from = computed.find((input) => same(shapes.get(input), dims));
    else if ((node.opType === 'MatMul' || node.opType === 'Gemm') && computed[0] === node.inputs[0]) {
      const left = shapes.get(node.inputs[0]);
      if (left && left.length === dims.length && same(left.slice(0, -1), dims.slice(0, -1))) from = node.inputs[0];
    }
    if (from) source.set(output, source.get(from) ?? from);
  }
  return source;
}

const SAMPLES = 4096;
/** Tensors fetched from one run of the batch-2 probe, in bytes. */
const BATCH_2_BYTES = 1 << 30;
/** Tensors fetched from one run of the batch-1 probe, in bytes, and how many the first run fetches. */
const BATCH_1_BYTES = 1 << 30;
const FIRST_GROUP = 256;
const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** A spread sample of a tensor's values (at flat indices ⌊s·N/n⌋) and its largest magnitude. */
interface Sample {
  values: Float32Array | undefined;
  scale: number;
}

function sampleOf(value: NamedArray): Sample {
  if (!(value.data instanceof Float32Array)) return { values: undefined, scale: 0 };
  const data = value.data;
  const count = Math.min(data.length, SAMPLES);
  const values = new Float32Array(count);
  for (let s = 0; s < count; s++) values[s] = data[Math.floor((s * data.length) / count)];
  let scale = 1e-12;
  for (let i = 0; i < data.length; i++) scale = Math.max(scale, Math.abs(data[i]));
  return { values, scale };
}

/**
 * Where a tensor holds the batch, from a sample of its values at batch 1 (first image) and its value at
 * batch 2 (first and second): the axis that doubled, and of the ways to split that axis as outer ×
 * batch × inner the one whose batch-0 part equals the batch-1 value.
 */
export function batchLayoutOf(oneDims: number[], one: Sample, two: NamedArray | undefined): BatchLayout | undefined {
  if (!two) return undefined;
  const axis = oneDims.findIndex((d, i) => two.dims[i] !== d);
  if (axis < 0) return undefined;
  const n = oneDims[axis];
  if (!one.values || !(two.data instanceof Float32Array) || n === 1) return { axis, inner: n };
  const size = product(oneDims);
  const post = product(oneDims.slice(axis + 1));
  const b = two.data;
  let best: { inner: number; error: number } | undefined;
  for (let inner = n; inner >= 1; inner--) {
    if (n % inner !== 0) continue;
    let error = 0;
    for (let s = 0; s < one.values.length; s++) {
      const flat = Math.floor((s * size) / one.values.length);
      const q = flat % post;
      const m = Math.floor(flat / post) % n;
      const p = Math.floor(flat / (post * n));
      const to = p * 2 * n * post + (Math.floor(m / inner) * 2 * inner + (m % inner)) * post + q;
      error = Math.max(error, Math.abs(one.values[s] - b[to]));
    }
    if (!best || error < best.error) best = { inner, error };
    if (best.error <= 1e-4 * one.scale) break; // equal up to rounding: no other split can do better
  }
  return { axis, inner: best!.inner };
}

/** The shapes of `probeGraph`. */
export async function probeShapes(model: IrModel, inputName: string, inputDims: number[]): Promise<Map<string, number[]>> {
  return (await probeGraph(model, inputName, inputDims)).shapes;
}
