import { GraphIndex } from '../onnx/graph.ts';
import { floatTensor, int64Tensor, type IrGraph, type IrModel, type IrNode, type IrTensor } from '../onnx/ir.ts';

/**
 * A canonizer in zennit's sense: attention's fused q/k/v projection — one linear layer whose output is
 * cut into three (torchvision's `nn.MultiheadAttention` slices its last axis; timm and torchvision's
 * Swin reshape it to [..., 3, heads, d], move the 3 to the front and split or index it) — becomes three
 * linear layers with the matching columns of the weight and bias. The function is the same. Attention
 * hands relevance to the values only, so the relevance passes then contain one of the three transposes
 * instead of a transpose of all three with two thirds of zeros: a sixth of a transformer block's
 * relevance arithmetic.
 */

/** What the rewrite adds besides nodes: the batch-1 shapes of its new tensors and, per tensor, an original whose batch layout it has. */
export interface SplitProjections {
  model: IrModel;
  shapes: Map<string, number[]>;
  layoutOf: Map<string, string>;
}

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

interface Fused {
  matMul: IrNode;
  bias?: { node: IrNode; tensor: IrTensor };
  /** The linear layer's output (after the bias). */
  output: string;
  weight: IrTensor;
}

/** Columns [from, to) of a [rows, cols] weight, and of its bias. */
function columns(fused: Fused, from: number, to: number, name: string): { weight: IrTensor; bias?: IrTensor } {
  const [rows, cols] = fused.weight.dims;
  const source = fused.weight.data as Float32Array;
  const data = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) data.set(source.subarray(r * cols + from, r * cols + to), r * (to - from));
  const bias = fused.bias ? (fused.bias.tensor.data as Float32Array).slice(from, to) : undefined;
  return { weight: floatTensor(`${name}/weight`, [rows, to - from], data), bias: bias && floatTensor(`${name}/bias`, [to - from], bias) };
}

export function splitFusedProjections(model: IrModel, shapes: Map<string, number[]>, shapeValues: Map<string, IrTensor>): SplitProjections {
  const graph = model.graph;
  const index = new GraphIndex(graph, shapeValues);
  const removed = new Set<IrNode>();
  const added: IrNode[] = [];
  const addedBefore = new Map<IrNode, IrNode[]>();
  const initializers = new Map(graph.initializers);
  const newShapes = new Map<string, number[]>();
  const layoutOf = new Map<string, string>();
  const consumers = (tensor: string) => (index.consumers.get(tensor) ?? []).filter((n) => n.opType !== 'Shape');
  const constantInts = (tensor: string | undefined) => {
    const value = tensor ? index.constant(tensor) : undefined;
    return value ? Array.from(value.data as ArrayLike<number | bigint>, Number) : undefined;
  };

  /** A new linear layer on `x` with the columns [from, to) of `fused`, its output named `output`. */
  const part = (fused: Fused, from: number, to: number, output: string, tag: string): IrNode[] => {
    const name = `${fused.matMul.name}_${tag}`;
    const { weight, bias } = columns(fused, from, to, name);
    initializers.set(weight.name, weight);
    const x = fused.matMul.inputs[0];
    const outDims = [...shapes.get(fused.output)!.slice(0, -1), to - from];
    if (!bias) return [{ name, opType: 'MatMul', domain: '', inputs: [x, weight.name], outputs: [output], attributes: {} }];
    initializers.set(bias.name, bias);
    const product = `${name}:out`;
    newShapes.set(product, outDims);
    layoutOf.set(product, fused.output);
    return [
      { name, opType: 'MatMul', domain: '', inputs: [x, weight.name], outputs: [product], attributes: {} },
      { name: `${name}/bias`, opType: 'Add', domain: '', inputs: [product, bias.name], outputs: [output], attributes: {} },
    ];
  };

  for (const matMul of graph.nodes) {
    if (matMul.opType !== 'MatMul' || index.computedInputs(matMul).length !== 1 || !index.isConstant(matMul.inputs[1])) continue;
    const weight = index.constant(matMul.inputs[1]);
    if (!weight || weight.dims.length !== 2 || !(weight.data instanceof Float32Array)) continue;
    const next = consumers(matMul.outputs[0]);
    const biasNode = next.length === 1 && next[0].opType === 'Add' ? next[0] : undefined;
    const biasName = biasNode?.inputs.find((t) => t !== matMul.outputs[0]);
    const biasTensor = biasName ? index.constant(biasName) : undefined;
    const fused: Fused = {
      matMul,
      weight,
      bias: biasNode && biasTensor?.data instanceof Float32Array && biasTensor.dims.length === 1 ? { node: biasNode, tensor: biasTensor } : undefined,
      output: matMul.outputs[0],
    };
    if (biasNode && !fused.bias) continue;
    if (fused.bias) fused.output = fused.bias.node.outputs[0];
    const width = weight.dims[1];
    const outDims = shapes.get(fused.output);
    if (!outDims || outDims.at(-1) !== width || width % 3 !== 0) continue;
    const users = consumers(fused.output);
    // A Shape of the fused output (slice bounds of torchvision's export) reads only its size, which the
    // leading axes of x and the width give; it is kept as a shape computation on x.
    const shapeUsers = (index.consumers.get(fused.output) ?? []).filter((n) => n.opType === 'Shape');

    // torchvision: Slice along the last axis.
    const slices = users.every((n) => n.opType === 'Slice') ? users : [];
    const bounds = slices.map((slice) => {
      const axes = constantInts(slice.inputs[3]) ?? [0];
      const steps = constantInts(slice.inputs[4]) ?? [1];
      const [start, end] = [constantInts(slice.inputs[1]), constantInts(slice.inputs[2])];
      const lastAxis = axes.length === 1 && (axes[0] === -1 || axes[0] === outDims.length - 1) && steps[0] === 1;
      return lastAxis && start && end ? [Math.max(0, start[0]), Math.min(width, end[0])] : undefined;
    });
    let parts: IrNode[] | undefined;
    if (slices.length >= 2 && bounds.every(Boolean)) {
      parts = slices.flatMap((slice, i) => part(fused, bounds[i]![0], bounds[i]![1], slice.outputs[0], `part${i}`));
      slices.forEach((slice) => removed.add(slice));
    }

    // timm, torchvision's Swin: Reshape [..., 3, heads, d] → Transpose → Split or Gather on the 3.
    const reshape = users.length === 1 && users[0].opType === 'Reshape' ? users[0] : undefined;
    const target = reshape && constantInts(reshape.inputs[1]);
    const reshaped = reshape && shapes.get(reshape.outputs[0]);
    const transpose = reshape && consumers(reshape.outputs[0]).length === 1 ? consumers(reshape.outputs[0])[0] : undefined;
    const lead = outDims.length - 1;
    if (!parts && reshape && target && reshaped && transpose?.opType === 'Transpose' && reshaped.length > lead + 1 && reshaped[lead] === 3) {
      const sameLead = reshaped.slice(0, lead).every((d, i) => d === outDims[i]) && product(reshaped.slice(lead)) === width;
      const perm = transpose.attributes.perm?.kind === 'ints' ? transpose.attributes.perm.value : undefined;
      const axis = perm?.indexOf(lead) ?? -1;
      const pickers = consumers(transpose.outputs[0]);
      const split = pickers.length === 1 && pickers[0].opType === 'Split' && pickers[0].outputs.length === 3 ? pickers[0] : undefined;
      const splitSizes = split && (constantInts(split.inputs[1]) ?? [1, 1, 1]);
      const splitAxis = split?.attributes.axis?.kind === 'int' ? split.attributes.axis.value : 0;
      const gathers = pickers.every((n) => n.opType === 'Gather' && (n.attributes.axis?.kind === 'int' ? n.attributes.axis.value : 0) === axis) ? pickers : [];
      const gatherIndices = gathers.map((g) => index.constant(g.inputs[1])).map((t) => (t && t.dims.length === 0 ? Number(t.data[0]) : undefined));
      const usable =
        sameLead && perm && axis >= 0 &&
        ((split && splitAxis === axis && splitSizes!.every((s) => s === 1)) || (gathers.length > 0 && gatherIndices.every((i) => i !== undefined && i >= 0 && i < 3)));
      if (usable) {
        const third = width / 3;
        // The reshape target with the leading axes copied from the part (0) and the 3 cut to 1.
        const partTarget = [...new Array(lead).fill(0), 1, ...target.slice(lead + 1)];
        const targetName = `${reshape.name}_part/shape`;
        initializers.set(targetName, int64Tensor(targetName, [partTarget.length], partTarget));
        const pieces = split ? [0, 1, 2].map((i) => ({ i, output: split.outputs[i], squeeze: false })) : gathers.map((g, j) => ({ i: gatherIndices[j]!, output: g.outputs[0], squeeze: true }));
        parts = pieces.flatMap(({ i, output, squeeze }, j) => {
          const tag = `part${j}`;
          const linear = `${fused.matMul.name}_${tag}:linear`;
          const cut = `${reshape.name}_${tag}:reshaped`;
          const moved = squeeze ? `${transpose.name}_${tag}:moved` : output;
          newShapes.set(linear, [...outDims.slice(0, -1), third]);
          layoutOf.set(linear, fused.output);
          newShapes.set(cut, reshaped.map((d, k) => (k === lead ? 1 : d)));
          layoutOf.set(cut, reshape.outputs[0]);
          const nodes = [
            ...part(fused, i * third, (i + 1) * third, linear, tag),
            { name: `${reshape.name}_${tag}`, opType: 'Reshape', domain: '', inputs: [linear, targetName], outputs: [cut], attributes: {} },
            { name: `${transpose.name}_${tag}`, opType: 'Transpose', domain: '', inputs: [cut], outputs: [moved], attributes: { ...transpose.attributes } },
          ];
          if (squeeze) {
            newShapes.set(moved, perm!.map((p) => newShapes.get(cut)![p]));
            layoutOf.set(moved, transpose.outputs[0]);
            const axesName = `${transpose.name}_${tag}/axes`;
            initializers.set(axesName, int64Tensor(axesName, [1], [axis]));
            nodes.push({ name: `${transpose.name}_${tag}/squeeze`, opType: 'Squeeze', domain: '', inputs: [moved, axesName], outputs: [output], attributes: {} });
          }
          return nodes;
        });
        for (const node of split ? [split] : gathers) removed.add(node);
      }
    }
    if (!parts) continue;
    // A Shape of the fused output (slice bounds in torchvision's export) reads the leading axes of x and
    // the width: it becomes that, so that nothing needs the fused layer any more.
    for (const shape of shapeUsers) {
      if (Object.keys(shape.attributes).length > 0) continue; // start/end of opset 15: left as it is
      const leading = `${shape.name}_of_input`;
      const head = `${shape.name}_head`;
      const widthName = `${shape.name}_width`;
      const sliceBounds = [`${shape.name}/start`, `${shape.name}/end`];
      initializers.set(widthName, int64Tensor(widthName, [1], [width]));
      initializers.set(sliceBounds[0], int64Tensor(sliceBounds[0], [1], [0]));
      initializers.set(sliceBounds[1], int64Tensor(sliceBounds[1], [1], [-1]));
      parts.push(
        { name: leading, opType: 'Shape', domain: '', inputs: [matMul.inputs[0]], outputs: [`${leading}:0`], attributes: {} },
        { name: head, opType: 'Slice', domain: '', inputs: [`${leading}:0`, ...sliceBounds], outputs: [`${head}:0`], attributes: {} },
        { name: `${shape.name}_concat`, opType: 'Concat', domain: '', inputs: [`${head}:0`, widthName], outputs: [shape.outputs[0]], attributes: { axis: { kind: 'int', value: 0 } } },
      );
      removed.add(shape);
    }
    if (shapeUsers.every((shape) => removed.has(shape))) {
      removed.add(matMul);
      if (fused.bias) removed.add(fused.bias.node);
    }
    added.push(...parts);
    addedBefore.set(matMul, parts);
  }
  if (added.length === 0) return { model, shapes: newShapes, layoutOf };
  // New nodes go where the fused layer was, so that the graph stays in topological order.
  const nodes: IrNode[] = [];
  for (const node of graph.nodes) {
    const parts = addedBefore.get(node);
    if (parts) nodes.push(...parts);
    if (!removed.has(node)) nodes.push(node);
  }
  const rewritten: IrGraph = { ...graph, nodes, initializers };
  return { model: { ...model, graph: rewritten }, shapes: newShapes, layoutOf };
}
