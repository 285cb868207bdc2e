import { DataType, describeNode, type IrGraph, type IrNode, type IrTensor } from './ir.ts';

/** Operators whose output depends on the shape of their input only, never on its values. */
const SHAPE_OPS = new Set(['Shape', 'Size']);

/**
 * Lookups over a graph: who produces and who consumes each tensor, and which tensors are constants.
 * A tensor computed from the graph's inputs only through their shapes (PyTorch's exports compute
 * reshape targets, slice ends and class-token expansions from `Shape`) counts as a constant: it does
 * not change with the input's values, so no relevance flows into it. Its value, where a caller needs
 * it, comes from `knownValues` (read from a run at batch 1, see onnx/shapes.ts).
 */
export class GraphIndex {
  readonly producer = new Map<string, IrNode>();
  readonly consumers = new Map<string, IrNode[]>();
  readonly constants = new Map<string, IrTensor>();
  readonly order = new Map<IrNode, number>();
  /** Tensors whose values depend on the values of a graph input. */
  private readonly data = new Set<string>();

  constructor(
    readonly graph: IrGraph,
    private readonly knownValues: Map<string, IrTensor> = new Map(),
  ) {
    for (const [name, tensor] of graph.initializers) this.constants.set(name, tensor);
    for (const input of graph.inputs) if (!graph.initializers.has(input.name)) this.data.add(input.name);
    graph.nodes.forEach((node, index) => {
      if (!SHAPE_OPS.has(node.opType) && node.inputs.some((t) => t && this.data.has(t))) {
        for (const output of node.outputs) if (output) this.data.add(output);
      }
      this.order.set(node, index);
      for (const output of node.outputs) if (output) this.producer.set(output, node);
      for (const input of node.inputs) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
      // Constant nodes and Identity aliases of constants (exporters emit both) are constants too.
      if (node.opType === 'Constant') {
        const value = node.attributes.value;
        if (value?.kind === 'tensor') this.constants.set(node.outputs[0], { ...value.value, name: node.outputs[0] });
        const floatValue = node.attributes.value_float;
        if (floatValue?.kind === 'float')
          this.constants.set(node.outputs[0], {
            name: node.outputs[0],
            dataType: DataType.FLOAT,
            dims: [],
            data: Float32Array.of(floatValue.value),
          });
      } else if (node.opType === 'Identity' && this.constants.has(node.inputs[0])) {
        this.constants.set(node.outputs[0], { ...this.constants.get(node.inputs[0])!, name: node.outputs[0] });
      }
    });
  }

  isConstant(tensor: string): boolean {
    return !this.data.has(tensor);
  }

  constant(tensor: string): IrTensor | undefined {
    return this.constants.get(tensor) ?? (this.data.has(tensor) ? undefined : this.knownValues.get(tensor));
  }

  /** The float value of a constant as a plain array; throws if the tensor is not a float constant. */
  floatConstant(tensor: string, node: IrNode): Float32Array {
    const c = this.constant(tensor);
    if (!c || !(c.data instanceof Float32Array)) {
      throw new Error(`${describeNode(node)}: input ${tensor} must be a float constant`);
    }
    return c.data;
  }

  /** Inputs of a node that are computed at run time (not constants, not empty). */
  computedInputs(node: IrNode): string[] {
    return node.inputs.filter((input) => input && this.data.has(input));
  }

  /** Every tensor reachable forward from `start` (inclusive). */
  descendants(start: string): Set<string> {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      const tensor = stack.pop()!;
      for (const node of this.consumers.get(tensor) ?? []) {
        for (const output of node.outputs) {
          if (output && !seen.has(output)) {
            seen.add(output);
            stack.push(output);
          }
        }
      }
    }
    return seen;
  }

  /** Every tensor that `end` depends on (inclusive), constants excluded. */
  ancestors(end: string): Set<string> {
    const seen = new Set<string>([end]);
    const stack = [end];
    while (stack.length) {
      const tensor = stack.pop()!;
      const node = this.producer.get(tensor);
      if (!node) continue;
      for (const input of this.computedInputs(node)) {
        if (!seen.has(input)) {
          seen.add(input);
          stack.push(input);
        }
      }
    }
    return seen;
  }
}
