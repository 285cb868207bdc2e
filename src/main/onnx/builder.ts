import { DataType, type IrAttribute, type IrNode, type IrTensor, type IrValueInfo } from './ir.ts';

/** Appends nodes and initializers to a graph under construction, with names that cannot collide. */
export class GraphBuilder {
  readonly nodes: IrNode[] = [];
  readonly initializers = new Map<string, IrTensor>();
  private counter = 0;

  constructor(private readonly prefix: string) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  /** Adds a node and returns its outputs. */
  node(opType: string, inputs: string[], attributes: Record<string, IrAttribute> = {}, outputCount = 1): string[] {
    const name = this.fresh(opType);
    const outputs = Array.from({ length: outputCount }, (_, i) => `${name}:${i}`);
    this.nodes.push({ name, opType, domain: '', inputs, outputs, attributes });
    return outputs;
  }

  op(opType: string, inputs: string[], attributes: Record<string, IrAttribute> = {}): string {
    return this.node(opType, inputs, attributes, 1)[0];
  }

  float(hint: string, dims: number[], data: Float32Array | number[]): string {
    const name = this.fresh(hint);
    this.initializers.set(name, {
      name,
      dataType: DataType.FLOAT,
      dims,
      data: data instanceof Float32Array ? data : Float32Array.from(data),
    });
    return name;
  }

  scalar(value: number): string {
    return this.float('scalar', [], [value]);
  }

  int64(hint: string, values: number[]): string {
    const name = this.fresh(hint);
    this.initializers.set(name, {
      name,
      dataType: DataType.INT64,
      dims: [values.length],
      data: BigInt64Array.from(values.map((v) => BigInt(v))),
    });
    return name;
  }

  /**
   * zennit's stabiliser: `z + ε·(sign(z) + [z == 0])`, so a zero denominator becomes +ε and every other
   * one moves away from zero.
   */
  stabilise(z: string, epsilon: number): string {
    const sign = this.op('Sign', [z]);
    const isZero = this.op('Cast', [this.op('Equal', [z, this.scalar(0)])], { to: { kind: 'int', value: DataType.FLOAT } });
    const step = this.op('Mul', [this.op('Add', [sign, isZero]), this.scalar(epsilon)]);
    return this.op('Add', [z, step]);
  }
}

export function floatValue(name: string, shape: (number | string | null)[]): IrValueInfo {
  return { name, elemType: DataType.FLOAT, shape };
}
