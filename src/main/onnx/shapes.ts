import { GraphIndex } from './graph.ts';
import { DataType, type IrModel, type IrTensor } from './ir.ts';
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
  const declared = new Set(graph.outputs.map((o) => o.name));
  const extra = graph.nodes
    .filter((n) => n.opType !== 'Constant')
    .flatMap((n) => n.outputs)
    .filter((name) => name && !declared.has(name) && !graph.initializers.has(name));
  const probe: IrModel = {
    ...model,
    graph: {
      ...graph,
      // Element type 0: written without a type, which the runtime then infers.
      outputs: [...graph.outputs, ...extra.map((name) => ({ name, elemType: 0, shape: [] }))],
    },
  };
  const index = new GraphIndex(graph);
  const session = await createSession(writeModel(probe), 'cpu');
  try {
    // Two different images, so that the batch-2 run shows which of its values belong to the first.
    const perImage = inputDims.slice(1).reduce((a, b) => a * b, 1);
    const images = [probeImage(perImage * inputDims[0], 1), probeImage(perImage * inputDims[0], 2)];
    const runAt = (count: number) => {
      const dims = [count * inputDims[0], ...inputDims.slice(1)];
      const data = new Float32Array(count * images[0].length);
      for (let i = 0; i < count; i++) data.set(images[i], i * images[0].length);
      return session.run({ [inputName]: { data, dims } });
    };
    const results = await runAt(1);
    const shapes = new Map<string, number[]>();
    const shapeValues = new Map<string, IrTensor>();
    shapes.set(inputName, inputDims);
    const data: string[] = [];
    let unusual = false;
    for (const [name, value] of Object.entries(results)) {
      shapes.set(name, value.dims);
      if (index.isConstant(name)) {
        if (value.data.length > MAX_SHAPE_VALUE_SIZE) continue;
        const dataType = value.data instanceof BigInt64Array ? DataType.INT64 : value.data instanceof Float32Array ? DataType.FLOAT : undefined;
        if (dataType) shapeValues.set(name, { name, dataType, dims: value.dims, data: value.data });
      } else if (value.dims.length > 0) {
        data.push(name);
        unusual ||= value.dims[0] !== 1;
      }
    }
    const batchLayouts = new Map<string, BatchLayout>();
    let batchable = true;
    if (unusual) {
      // A second run at batch 2 shows which axis grows with the batch (CNNs, whose tensors all start with
      // the batch, never need it), and which of its values are the first image's: where on that axis the
      // batch sits. Every tensor is looked at: a slice of q/k/v stacked before the batch starts with 1 too.
      const doubled = options.batchable === false ? undefined : await runAt(2).catch(() => undefined);
      if (!doubled) batchable = false;
      for (const name of doubled ? data : []) {
        const layout = batchLayoutOf(results[name], doubled![name]);
        if (layout && !(layout.axis === 0 && layout.inner === results[name].dims[0])) batchLayouts.set(name, layout);
      }
    }
    return { shapes, shapeValues, batchLayouts, batchable };
  } finally {
    await session.release();
  }
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

/**
 * Where a tensor holds the batch, from its value at batch 1 (first image) and at batch 2 (first and
 * second): the axis that doubled, and of the ways to split that axis as outer × batch × inner the one
 * whose batch-0 part equals the batch-1 value.
 */
export function batchLayoutOf(one: NamedArray, two: NamedArray | undefined): BatchLayout | undefined {
  if (!two) return undefined;
  const axis = one.dims.findIndex((d, i) => two.dims[i] !== d);
  if (axis < 0) return undefined;
  const n = one.dims[axis];
  if (!(one.data instanceof Float32Array) || !(two.data instanceof Float32Array) || n === 1) return { axis, inner: n };
  const a = one.data;
  const b = two.data;
  const post = one.dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  // A spread sample of the values tells the splits apart; comparing every value of every tensor of a
  // large transformer would take seconds.
  const samples = Math.min(a.length, 4096);
  let best: { inner: number; error: number } | undefined;
  for (let inner = n; inner >= 1; inner--) {
    if (n % inner !== 0) continue;
    let error = 0;
    for (let s = 0; s < samples; s++) {
      const flat = Math.floor((s * a.length) / samples);
      const q = flat % post;
      const m = Math.floor(flat / post) % n;
      const p = Math.floor(flat / (post * n));
      const to = p * 2 * n * post + (Math.floor(m / inner) * 2 * inner + (m % inner)) * post + q;
      error = Math.max(error, Math.abs(a[flat] - b[to]));
    }
    if (!best || error < best.error) best = { inner, error };
    if (best.error <= 1e-4 * scale) break; // equal up to rounding: no other split can do better
  }
  return { axis, inner: best!.inner };
}

/** The shapes of `probeGraph`. */
export async function probeShapes(model: IrModel, inputName: string, inputDims: number[]): Promise<Map<string, number[]>> {
  return (await probeGraph(model, inputName, inputDims)).shapes;
}
