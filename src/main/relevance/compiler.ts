import { PairxError } from '../errors.ts';
import { GraphBuilder, floatValue } from '../onnx/builder.ts';
import { DataType, attrFloat, describeNode, type IrModel, type IrNode, type IrValueInfo } from '../onnx/ir.ts';
import type { CanonicalModel } from './canonize.ts';
import { STABILISER_EPSILON } from './composite.ts';
import { ruleRelevance, ruleStats, type RuleStats } from './rules/hook.ts';
import type { BatchLayout } from '../onnx/shapes.ts';
import type { ForwardEmitter, LinearMap, RelevanceEmitter, RuleContext } from './rules/rule.ts';
import type { Unit } from './units.ts';

/** An operator no rule covers, met on the path relevance has to take. Names the node and operator. */
export class UnsupportedOperatorError extends PairxError {
  constructor(
    readonly node: IrNode,
    reason: string,
  ) {
    // Name the node as the exported model has it, not as its canonised copy (`lrp:` prefix).
    super('unsupported-model', `cannot propagate relevance through ${describeNode({ ...node, name: node.name.replace(/^lrp:/, '') })}: ${reason}`);
  }
}

/** Where a relevance pass starts (a seed fed per run, batch k) and where it ends. */
export interface RelevancePass {
  from: string;
  to: string;
}

export interface CompiledPass {
  model: IrModel;
  /** Forward tensors (stats) the pass reads, fed from the forward model's outputs for one image. */
  stats: string[];
}

/**
 * The compiled form of a set of relevance passes over one model: a forward model that computes, once
 * per image, the outputs asked for plus every statistic the rules need (inputs, stabilised
 * denominators, max-pooling indices), and one relevance model per pass that reads those statistics and
 * maps a batch of seeds at `from` to relevance at `to`. Relevance is linear in the seed once the
 * forward pass is fixed, so every seed of a pass runs in one batch.
 */
export interface CompiledRelevance {
  forward: IrModel;
  passes: CompiledPass[];
}

export interface CompileOptions {
  inputName: string;
  /** Forward tensors the caller wants back besides the stats (embedding, feature maps). */
  outputs: string[];
  passes: RelevancePass[];
  /**
   * Where tensors hold the batch when not plainly on axis 0 (onnx/shapes.ts `probeGraph`); a tensor not
   * listed has it on axis 0, outside whatever else that axis folds in (Swin's windows).
   */
  batchLayouts?: Map<string, BatchLayout>;
  epsilon?: number;
}

const RELEVANCE_OPSET = 17;

/** For rules that never reach an operator (Pass): a map whose transpose must not be asked for. */
const IDENTITY_MAP: LinearMap = {
  transpose: (unit) => {
    throw new Error(`${describeNode(unit.node)}: its rule needs the operator's transpose, which no map provides`);
  },
};

function nonNegativeAnalysis(cm: CanonicalModel): (tensor: string) => boolean {
  const memo = new Map<string, boolean>();
  const { index } = cm;
  const visit = (tensor: string): boolean => {
    if (memo.has(tensor)) return memo.get(tensor)!;
    memo.set(tensor, false); // cycles cannot occur in a DAG, but stay safe
    const node = index.producer.get(tensor);
    let result = false;
    if (node) {
      const computed = index.computedInputs(node);
      switch (node.opType) {
        case 'Relu':
        case 'Sigmoid':
        case 'HardSigmoid':
        case 'Softplus':
          result = true;
          break;
        case 'Clip': {
          const min = node.inputs[1] ? index.constant(node.inputs[1]) : undefined;
          const minValue = min ? Number((min.data as Float32Array)[0]) : attrFloat(node, 'min', -Infinity);
          result = minValue >= 0 || (node.inputs.length < 2 && attrFloat(node, 'min', -Infinity) >= 0);
          break;
        }
        case 'MaxPool':
        case 'AveragePool':
        case 'GlobalAveragePool':
        case 'GlobalMaxPool':
        case 'Flatten':
        case 'Reshape':
        case 'Identity':
        case 'Dropout':
        case 'Squeeze':
        case 'Unsqueeze':
        case 'Transpose':
          result = visit(node.inputs[0]);
          break;
        case 'Add':
        case 'Mul':
        case 'Concat':
          result = computed.length === node.inputs.length && computed.every(visit);
          break;
      }
    }
    memo.set(tensor, result);
    return result;
  };
  return visit;
}

function unitPosition(cm: CanonicalModel, unit: Unit): number {
  const own = cm.index.order.get(unit.node) ?? 0;
  const bias = unit.kind === 'linear' && unit.biasNode ? (cm.index.order.get(unit.biasNode) ?? 0) : 0;
  return Math.max(own, bias);
}

/** Keeps the nodes that the outputs depend on. */
function prune(nodes: IrNode[], outputs: string[]): IrNode[] {
  const needed = new Set(outputs);
  const kept: IrNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input) needed.add(input);
  }
  return kept.reverse();
}

export function compileRelevance(cm: CanonicalModel, shapes: Map<string, number[]>, options: CompileOptions): CompiledRelevance {
  const ruleOf = (unit: Exclude<Unit, { kind: 'unsupported' }>) => {
    const entry = cm.composite.rules[unit.kind];
    return { rule: entry.rule, map: (entry.map ?? IDENTITY_MAP) as LinearMap };
  };
  // Tensors the rules derive from a forward tensor (its positive part, say) keep that tensor's batch layout.
  const derivedFrom = new Map<string, string>();
  const context: RuleContext = {
    index: cm.index,
    shapes: new Map([
      ...shapes,
      ...cm.shapes,
      ...[...cm.shapeAlias].flatMap(([copy, original]) => (shapes.has(original) ? [[copy, shapes.get(original)!] as const] : [])),
    ]),
    epsilon: options.epsilon ?? STABILISER_EPSILON,
    nonNegative: nonNegativeAnalysis(cm),
    batchLayout: (tensor) => {
      const derived = derivedFrom.get(tensor) ?? tensor;
      const source = cm.layoutOf.get(derived) ?? derived;
      return options.batchLayouts?.get(cm.shapeAlias.get(source) ?? source) ?? { axis: 0, inner: context.shapes.get(source)?.[0] ?? 1 };
    },
  };
  const int64Stats = new Set<string>();
  const forwardBuilder = new GraphBuilder('lrp_forward');
  const forward: ForwardEmitter = {
    ...context,
    builder: forwardBuilder,
    setShape: (tensor, dims, like) => {
      context.shapes.set(tensor, dims);
      if (like) derivedFrom.set(tensor, derivedFrom.get(like) ?? like);
    },
  };
  const statsByUnit = new Map<Unit, RuleStats>();
  const statsOf = (unit: Exclude<Unit, { kind: 'unsupported' }>) => {
    if (!statsByUnit.has(unit)) {
      const before = forwardBuilder.nodes.length;
      const { rule, map } = ruleOf(unit);
      statsByUnit.set(unit, ruleStats(rule, map, unit, forward));
      for (const node of forwardBuilder.nodes.slice(before)) if (node.opType === 'Mod') int64Stats.add(node.outputs[0]);
    }
    return statsByUnit.get(unit)!;
  };
  const ordered = [...cm.units].sort((a, b) => unitPosition(cm, b) - unitPosition(cm, a));

  const passes = options.passes.map((pass, passIndex) => {
    const builder = new GraphBuilder(`lrp_${passIndex}`);
    const reachable = cm.index.descendants(pass.to);
    const relevance = new Map<string, string>([[pass.from, 'seed']]);
    const usedStats = new Set<string>();
    const emitter: RelevanceEmitter = {
      ...context,
      builder,
      stat: (tensor) => {
        usedStats.add(tensor);
        return tensor;
      },
      relevanceOf: (tensor) => relevance.get(tensor),
    };
    for (const unit of ordered) {
      const reached = unit.outputs.filter((o) => relevance.has(o));
      if (reached.length === 0 || !unit.inputs.some((i) => reachable.has(i))) continue;
      if (unit.kind === 'unsupported') throw new UnsupportedOperatorError(unit.node, unit.reason);
      const { rule, map } = ruleOf(unit);
      const incoming = relevance.get(unit.outputs[0]) ?? relevance.get(reached[0])!;
      const contributions = ruleRelevance(rule, map, unit, incoming, statsOf(unit), emitter);
      for (const [input, value] of contributions) {
        if (!reachable.has(input)) continue;
        const previous = relevance.get(input);
        relevance.set(input, previous ? builder.op('Add', [previous, value]) : value);
      }
    }
    const result = relevance.get(pass.to);
    if (!result) throw new Error(`no relevance reaches ${pass.to} from ${pass.from}`);
    builder.nodes.push({ name: 'relevance_output', opType: 'Identity', domain: '', inputs: [result], outputs: ['relevance'], attributes: {} });
    const fromDims = context.shapes.get(pass.from)!;
    const toDims = context.shapes.get(pass.to)!;
    const stats = [...usedStats];
    const inputs: IrValueInfo[] = [
      floatValue('seed', ['seeds', ...fromDims.slice(1)]),
      ...stats.map((s) => ({
        name: s,
        elemType: int64Stats.has(s) ? DataType.INT64 : DataType.FLOAT,
        shape: context.shapes.get(s)!,
      })),
    ];
    const nodes = prune(builder.nodes, ['relevance']);
    const model: IrModel = {
      irVersion: 8,
      producerName: 'pairx-workbench relevance compiler',
      opsetImports: [{ domain: '', version: RELEVANCE_OPSET }],
      graph: {
        name: `relevance ${pass.from} -> ${pass.to}`,
        nodes,
        initializers: builder.initializers,
        inputs,
        outputs: [floatValue('relevance', ['seeds', ...toDims.slice(1)])],
      },
    };
    return { model, stats };
  });

  const statOutputs = [...new Set(passes.flatMap((p) => p.stats))].filter((s) => !options.outputs.includes(s));
  const graph = cm.model.graph;
  const allOutputs = [...options.outputs, ...statOutputs];
  const nodes = prune([...graph.nodes, ...forwardBuilder.nodes], allOutputs);
  const initializers = new Map([...graph.initializers, ...forwardBuilder.initializers]);
  const forwardModel: IrModel = {
    ...cm.model,
    graph: {
      ...graph,
      nodes,
      initializers,
      outputs: allOutputs.map((name) => ({
        name,
        elemType: int64Stats.has(name) ? DataType.INT64 : DataType.FLOAT,
        // Sizes left open: a tensor may carry the batch on another axis than the first.
        shape: (context.shapes.get(name) ?? []).map((_, axis) => `${name}:${axis}`),
      })),
    },
  };
  return { forward: forwardModel, passes };
}
