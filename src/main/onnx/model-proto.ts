import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-proto.ts';
import { DataType, type IrAttribute, type IrGraph, type IrModel, type IrNode, type IrTensor, type IrValueInfo, type TensorData } from './ir.ts';
import { PairxError } from '../errors.ts';

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** Raised for a file that is not a readable ONNX model; the message names the file. */
export class OnnxParseError extends PairxError {
  constructor(message: string) {
    super('unsupported-model', message);
  }
}

interface TensorProtoObject {
  name?: string;
  data_type?: number;
  dims?: number[];
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  data_location?: number;
}
interface AttributeProtoObject {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
interface NodeProtoObject {
  name?: string;
  op_type: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProtoObject[];
}
interface DimObject {
  dim_value?: number;
  dim_param?: string;
}
interface ValueInfoObject {
  name: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimObject[] } } };
}
interface GraphProtoObject {
  name?: string;
  node?: NodeProtoObject[];
  initializer?: TensorProtoObject[];
  input?: ValueInfoObject[];
  output?: ValueInfoObject[];
  value_info?: ValueInfoObject[];
}
interface ModelProtoObject {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  opset_import?: { domain?: string; version?: number }[];
  graph?: GraphProtoObject;
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function tensorFromProto(t: TensorProtoObject): IrTensor {
  const name = t.name ?? '';
  if (t.data_location === 1) {
    throw new OnnxParseError(`tensor ${name} uses external data files, which are not supported; re-export with the weights inside the .onnx file`);
  }
  const dataType = (t.data_type ?? DataType.FLOAT) as DataType;
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.byteLength > 0 ? alignedCopy(t.raw_data) : undefined;
  let data: TensorData;
  switch (dataType) {
    case DataType.FLOAT:
      data = raw ? new Float32Array(raw) : Float32Array.from(t.float_data ?? []);
      break;
    case DataType.DOUBLE:
      data = Float32Array.from(raw ? new Float64Array(raw) : (t.double_data ?? []));
      break;
    case DataType.INT64:
      data = raw ? new BigInt64Array(raw) : BigInt64Array.from((t.int64_data ?? []).map((v) => BigInt(v)));
      break;
    case DataType.INT32:
      data = raw ? new Int32Array(raw) : Int32Array.from(t.int32_data ?? []);
      break;
    case DataType.INT8:
      data = raw ? new Int8Array(raw) : Int8Array.from(t.int32_data ?? []);
      break;
    case DataType.UINT8:
      data = raw ? new Uint8Array(raw) : Uint8Array.from(t.int32_data ?? []);
      break;
    case DataType.BOOL:
      data = raw ? new Uint8Array(raw) : Uint8Array.from(t.int32_data ?? []);
      break;
    default:
      throw new OnnxParseError(`tensor ${name} has element type ${dataType}, which is not supported`);
  }
  if (data.length !== count) {
    throw new OnnxParseError(`tensor ${name} holds ${data.length} values but its shape [${dims}] needs ${count}`);
  }
  return { name, dataType: dataType === DataType.DOUBLE ? DataType.FLOAT : dataType, dims, data };
}

function tensorToProto(t: IrTensor): TensorProtoObject {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name: t.name, data_type: t.dataType, dims: t.dims, raw_data: bytes };
}

function attributeFromProto(a: AttributeProtoObject): IrAttribute {
  const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : '');
  switch (a.type) {
    case ATTR.FLOAT:
      return { kind: 'float', value: a.f ?? 0 };
    case ATTR.INT:
      return { kind: 'int', value: Number(a.i ?? 0) };
    case ATTR.STRING:
      return { kind: 'string', value: text(a.s) };
    case ATTR.TENSOR:
      return { kind: 'tensor', value: tensorFromProto(a.t ?? {}) };
    case ATTR.FLOATS:
      return { kind: 'floats', value: a.floats ?? [] };
    case ATTR.INTS:
      return { kind: 'ints', value: (a.ints ?? []).map(Number) };
    case ATTR.STRINGS:
      return { kind: 'strings', value: (a.strings ?? []).map(text) };
    default:
      return { kind: 'unsupported', value: a.type ?? 0 };
  }
}

function attributeToProto(name: string, a: IrAttribute): AttributeProtoObject {
  switch (a.kind) {
    case 'float':
      return { name, type: ATTR.FLOAT, f: a.value };
    case 'int':
      return { name, type: ATTR.INT, i: a.value };
    case 'string':
      return { name, type: ATTR.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'tensor':
      return { name, type: ATTR.TENSOR, t: tensorToProto(a.value) };
    case 'floats':
      return { name, type: ATTR.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: ATTR.INTS, ints: a.value };
    case 'strings':
      return { name, type: ATTR.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    default:
      throw new Error(`attribute ${name} of an unsupported kind cannot be written`);
  }
}

function valueInfoFromProto(v: ValueInfoObject): IrValueInfo {
  const tensorType = v.type?.tensor_type;
  const shape = (tensorType?.shape?.dim ?? []).map((d) =>
    d.dim_value !== undefined && d.dim_value !== null ? Number(d.dim_value) : (d.dim_param ?? null),
  );
  return { name: v.name, elemType: tensorType?.elem_type ?? DataType.FLOAT, shape };
}

function valueInfoToProto(v: IrValueInfo): ValueInfoObject {
  if (v.elemType === 0) return { name: v.name }; // type left for the runtime to infer
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.elemType,
        shape: {
          dim: v.shape.map((d) =>
            typeof d === 'number' ? { dim_value: d } : { dim_param: d ?? 'dynamic' },
          ),
        },
      },
    },
  };
}

function graphFromProto(g: GraphProtoObject): IrGraph {
  const initializers = new Map<string, IrTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensorFromProto(t));
  const nodes: IrNode[] = (g.node ?? []).map((n, index) => {
    const attributes: Record<string, IrAttribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name] = attributeFromProto(a);
    return {
      name: n.name || `${n.op_type}_${index}`,
      opType: n.op_type,
      domain: n.domain ?? '',
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attributes,
    };
  });
  return {
    name: g.name ?? 'graph',
    nodes,
    initializers,
    // Older exporters list initializers among the inputs; they are not inputs a caller feeds.
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name)).map(valueInfoFromProto),
    outputs: (g.output ?? []).map(valueInfoFromProto),
  };
}

/** Decodes an ONNX file's bytes. `source` names the file in error messages. */
export function readModel(bytes: Uint8Array, source = 'model'): IrModel {
  let proto: ModelProtoObject;
  try {
    const message = ModelProto.decode(bytes);
    proto = ModelProto.toObject(message, { longs: Number, defaults: false, arrays: true }) as ModelProtoObject;
  } catch (error) {
    throw new OnnxParseError(`${source} is not a valid ONNX model (${(error as Error).message})`);
  }
  if (!proto.graph || !proto.graph.node || proto.graph.node.length === 0) {
    throw new OnnxParseError(`${source} is not a valid ONNX model (it has no graph nodes)`);
  }
  return {
    irVersion: proto.ir_version ?? 8,
    producerName: proto.producer_name ?? '',
    opsetImports: (proto.opset_import ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
    graph: graphFromProto(proto.graph),
  };
}

/** Encodes a model; initializers are written as raw little-endian data. */
export function writeModel(model: IrModel): Uint8Array {
  const g = model.graph;
  const object: ModelProtoObject = {
    ir_version: model.irVersion,
    producer_name: model.producerName || 'pairx-workbench',
    opset_import: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        domain: n.domain || undefined,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([name, a]) => attributeToProto(name, a)),
      })),
      initializer: [...g.initializers.values()].map(tensorToProto),
      input: g.inputs.map(valueInfoToProto),
      output: g.outputs.map(valueInfoToProto),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(object)).finish();
}
