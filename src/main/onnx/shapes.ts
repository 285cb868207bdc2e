import { GraphIndex } from './graph.ts';
import { DataType, type IrModel, type IrTensor } from './ir.ts';
import { writeModel } from './model-proto.ts';
import { createSession } from './session.ts';

/** What a run at batch 1 tells about a graph: every tensor's shape, and the values of its shape computations. */
export interface GraphProbe {
  shapes: Map<string, number[]>;
  /**
   * Values of the tensors computed from the input's shape only (slice ends, pads, gather indices in
   * PyTorch's exports), which the relevance rules read as constants.
   */
  shapeValues: Map<string, IrTensor>;
  /**
   * For tensors that do not carry the batch in front with size 1 at batch 1 (attention's
   * [tokens, batch, C], q/k/v stacked before the batch, Swin's batch × windows): the axis that grows with
   * the batch. Tensors not listed carry it on axis 0.
   */
  batchAxes: Map<string, number>;
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
export async function probeGraph(model: IrModel, inputName: string, inputDims: number[]): Promise<GraphProbe> {
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
    const runAt = (batch: number) => {
      const dims = [batch, ...inputDims.slice(1)];
      return session.run({ [inputName]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims } });
    };
    const results = await runAt(inputDims[0]);
    const shapes = new Map<string, number[]>();
    const shapeValues = new Map<string, IrTensor>();
    shapes.set(inputName, inputDims);
    const unusual: string[] = [];
    for (const [name, value] of Object.entries(results)) {
      shapes.set(name, value.dims);
      if (index.isConstant(name)) {
        if (value.data.length > MAX_SHAPE_VALUE_SIZE) continue;
        const dataType = value.data instanceof BigInt64Array ? DataType.INT64 : value.data instanceof Float32Array ? DataType.FLOAT : undefined;
        if (dataType) shapeValues.set(name, { name, dataType, dims: value.dims, data: value.data });
      } else if (value.dims.length > 0 && value.dims[0] !== 1) {
        unusual.push(name);
      }
    }
    const batchAxes = new Map<string, number>();
    let batchable = true;
    if (unusual.length > 0) {
      // A second run at batch 2 shows which axis grows with the batch (CNNs never need it).
      const doubled = await runAt(2 * inputDims[0]).catch(() => undefined);
      if (!doubled) batchable = false;
      for (const name of doubled ? unusual : []) {
        const one = shapes.get(name)!;
        const two = doubled?.[name]?.dims ?? one;
        const axis = one.findIndex((d, i) => two[i] !== d);
        if (axis > 0) batchAxes.set(name, axis);
      }
    }
    return { shapes, shapeValues, batchAxes, batchable };
  } finally {
    await session.release();
  }
}

/** The shapes of `probeGraph`. */
export async function probeShapes(model: IrModel, inputName: string, inputDims: number[]): Promise<Map<string, number[]>> {
  return (await probeGraph(model, inputName, inputDims)).shapes;
}
