import { DataType, describeNode, type IrGraph, type IrNode, type IrTensor } from './ir.ts';

/** Lookups over a graph: who produces and who consumes each tensor, and which tensors are constants. */
export class GraphIndex {
  readonly producer = new Map<string, IrNode>();
  readonly consumers = new Map<string, IrNode[]>();
  readonly constants = new Map<string, IrTensor>();
  readonly order = new Map<IrNode, number>();

  constructor(readonly graph: IrGraph) {
    for (const [name, tensor] of graph.initializers) this.constants.set(name, tensor);
    graph.nodes.forEach((node, index) => {
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
    return this.constants.has(tensor);
  }

  constant(tensor: string): IrTensor | undefined {
    return this.constants.get(tensor);
  }

  /** The float value of a constant as a plain array; throws if the tensor is not a float constant. */
  floatConstant(tensor: string, node: IrNode): Float32Array {
    const c = this.constants.get(tensor);
    if (!c || !(c.data instanceof Float32Array)) {
      throw new Error(`${describeNode(node)}: input ${tensor} must be a float constant`);
    }
    return c.data;
  }

  /** Inputs of a node that are computed at run time (not constants, not empty). */
  computedInputs(node: IrNode): string[] {
    return node.inputs.filter((input) => input && !this.constants.has(input));
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
