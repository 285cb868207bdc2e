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
  const session = await createSession(writeModel(probe), 'cpu');
  try {
    const size = inputDims.reduce((a, b) => a * b, 1);
    const results = await session.run({ [inputName]: { data: new Float32Array(size), dims: inputDims } });
    const index = new GraphIndex(graph);
    const shapes = new Map<string, number[]>();
    const shapeValues = new Map<string, IrTensor>();
    shapes.set(inputName, inputDims);
    for (const [name, value] of Object.entries(results)) {
      shapes.set(name, value.dims);
      if (!index.isConstant(name) || value.data.length > MAX_SHAPE_VALUE_SIZE) continue;
      const dataType = value.data instanceof BigInt64Array ? DataType.INT64 : value.data instanceof Float32Array ? DataType.FLOAT : undefined;
      if (dataType) shapeValues.set(name, { name, dataType, dims: value.dims, data: value.data });
    }
    return { shapes, shapeValues };
  } finally {
    await session.release();
  }
}

/** The shapes of `probeGraph`. */
export async function probeShapes(model: IrModel, inputName: string, inputDims: number[]): Promise<Map<string, number[]>> {
  return (await probeGraph(model, inputName, inputDims)).shapes;
}
