import type { IrModel } from './ir.ts';
import { writeModel } from './model-proto.ts';
import { createSession } from './session.ts';

/**
 * Static shapes of every tensor at batch 1, read by running the model once on zeros with every node
 * output exposed. Exports from PyTorch rarely carry value_info, and a run is exact where inference
 * from operator semantics would need a shape function per operator.
 */
export async function probeShapes(model: IrModel, inputName: string, inputDims: number[]): Promise<Map<string, number[]>> {
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
    const shapes = new Map<string, number[]>();
    shapes.set(inputName, inputDims);
    for (const [name, value] of Object.entries(results)) shapes.set(name, value.dims);
    return shapes;
  } finally {
    await session.release();
  }
}
