/** An in-memory form of an ONNX model that graph passes can edit and `writeModel` can serialise. */

export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  DOUBLE = 11,
}

export type TensorData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

export interface IrTensor {
  name: string;
  dataType: DataType;
  dims: number[];
  data: TensorData;
}

export type IrAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: IrTensor }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'unsupported'; value: number };

export interface IrNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, IrAttribute>;
}

export interface IrValueInfo {
  name: string;
  elemType: number;
  /** A number per fixed dimension; a name or null where the dimension is dynamic. */
  shape: (number | string | null)[];
}

export interface IrGraph {
  name: string;
  nodes: IrNode[];
  initializers: Map<string, IrTensor>;
  inputs: IrValueInfo[];
  outputs: IrValueInfo[];
}

export interface IrModel {
  irVersion: number;
  producerName: string;
  opsetImports: { domain: string; version: number }[];
  graph: IrGraph;
}

export function attrInt(node: IrNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && a.kind === 'int' ? a.value : fallback;
}

export function attrFloat(node: IrNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && a.kind === 'float' ? a.value : fallback;
}

export function attrInts(node: IrNode, name: string): number[] | undefined {
  const a = node.attributes[name];
  return a && a.kind === 'ints' ? a.value : undefined;
}

export function attrString(node: IrNode, name: string, fallback: string): string {
  const a = node.attributes[name];
  return a && a.kind === 'string' ? a.value : fallback;
}

export function floatTensor(name: string, dims: number[], data: Float32Array | number[]): IrTensor {
  return { name, dataType: DataType.FLOAT, dims, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

export function int64Tensor(name: string, dims: number[], data: number[]): IrTensor {
  return { name, dataType: DataType.INT64, dims, data: BigInt64Array.from(data.map((v) => BigInt(v))) };
}

export function ints(value: number[]): IrAttribute {
  return { kind: 'ints', value };
}

export function int(value: number): IrAttribute {
  return { kind: 'int', value };
}

export function describeNode(node: IrNode): string {
  return `node '${node.name}' (${node.opType})`;
}
