import { GraphIndex } from '../../src/main/onnx/graph.ts';
import type { IrModel, IrTensor } from '../../src/main/onnx/ir.ts';

/**
 * The model with every additive constant on the relevance path set to zero: convolution and linear
 * biases (also where the exporter folded a batch norm into them and renamed them), layer-norm and
 * batch-norm shifts (β, and the running mean), the constant of an `Add`/`Sub` that shifts a computed
 * tensor by a vector (biases of MatMul, position embeddings), and constant tokens concatenated to
 * computed ones (class and register tokens, through the Expand/Tile that copies them per image).
 * Scalars stay (a layer norm's ε, GELU's `1 + erf`): they are part of an operator, not a shift.
 * With them gone, every rule is the ε rule of a linear map without bias, so relevance is conserved
 * (PAIRX-TRANSFORMERS.md) — which is what the conservation tests check.
 */
export function withoutAdditiveTerms(model: IrModel): IrModel {
  const graph = model.graph;
  const index = new GraphIndex(graph);
  const zeroed = new Set<string>();
  // Exporters keep constants as initializers or as Constant nodes; both are zeroed alike.
  const constantNode = new Map(graph.nodes.filter((n) => n.opType === 'Constant').map((n) => [n.outputs[0], n]));
  const floatInitializer = (name: string | undefined) => {
    const node = name ? constantNode.get(name) : undefined;
    const value = node?.attributes.value;
    const tensor = name ? (graph.initializers.get(name) ?? (value?.kind === 'tensor' ? value.value : undefined)) : undefined;
    return tensor && tensor.data instanceof Float32Array ? tensor : undefined;
  };
  const zero = (name: string | undefined) => {
    if (floatInitializer(name)) zeroed.add(name!);
  };
  /** The initializer a constant input comes from, through the copies exporters put between them. */
  const sourceOf = (tensor: string): string | undefined => {
    for (let hops = 0; hops < 8; hops++) {
      if (floatInitializer(tensor)) return tensor;
      const node = index.producer.get(tensor);
      if (!node || !['Expand', 'Tile', 'Reshape', 'Unsqueeze', 'Identity', 'Cast', 'Transpose', 'Squeeze'].includes(node.opType)) return undefined;
      tensor = node.inputs[0];
    }
    return undefined;
  };
  for (const node of graph.nodes) {
    const computed = index.computedInputs(node);
    if (computed.length === 0) continue;
    switch (node.opType) {
      case 'Conv':
      case 'Gemm':
      case 'LayerNormalization':
        zero(node.inputs[2]);
        break;
      case 'BatchNormalization':
        zero(node.inputs[2]);
        zero(node.inputs[3]);
        break;
      case 'Add':
      case 'Sub':
        if (computed.length === 1) {
          const constant = node.inputs.find((t) => t !== computed[0]);
          const tensor = constant ? floatInitializer(constant) : undefined;
          if (tensor && tensor.data.length > 1) zero(constant);
        }
        break;
      case 'Concat':
        for (const input of node.inputs) if (!computed.includes(input)) zero(sourceOf(input));
        break;
    }
  }
  const initializers = new Map<string, IrTensor>();
  for (const [name, tensor] of graph.initializers) {
    initializers.set(name, zeroed.has(name) ? { ...tensor, data: new Float32Array(tensor.data.length) } : tensor);
  }
  const nodes = graph.nodes.map((node) => {
    const value = node.attributes.value;
    if (node.opType !== 'Constant' || !zeroed.has(node.outputs[0]) || value?.kind !== 'tensor') return node;
    return { ...node, attributes: { ...node.attributes, value: { kind: 'tensor' as const, value: { ...value.value, data: new Float32Array(value.value.data.length) } } } };
  });
  return { ...model, graph: { ...graph, nodes, initializers } };
}
