import { describe, expect, it } from 'vitest';
import { formatNpy, parseNpy } from '../../src/main/arrays/npy.ts';
import { moduleKey, scopeComponents } from '../../src/main/onnx/scopes.ts';
import { readModel, writeModel } from '../../src/main/onnx/model-proto.ts';
import { readFileSync } from 'node:fs';

describe('module scopes', () => {
  it('turns PyTorch export scopes into module keys', () => {
    expect(moduleKey(scopeComponents('/backbone/features/features.4/block/block.0/Conv'))).toBe('backbone.features.4.block.0');
    expect(moduleKey(scopeComponents('/layer2/layer2.0/relu_1/Relu'))).toBe('layer2.0.relu_1');
    expect(moduleKey(scopeComponents('/features/features.4/conv/conv.0/conv.0.0/Conv'))).toBe('features.4.conv.0.0');
    expect(scopeComponents('Conv_12')).toEqual([]);
  });
});

describe('npy', () => {
  it('round-trips float32 arrays', () => {
    const array = { data: Float32Array.of(1, -2.5, 3e-8, 4, 5, 6), shape: [2, 3] };
    const parsed = parseNpy(formatNpy(array));
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual(Array.from(array.data));
    expect(formatNpy(array).length % 64).toBe((6 * 4) % 64);
  });
});

describe('ONNX protobuf', () => {
  it('reads and writes a model without changing it', () => {
    const bytes = readFileSync('test/fixtures/golden/resnet-narrow-128/model.onnx');
    const model = readModel(bytes);
    const again = readModel(writeModel(model));
    expect(again.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).toEqual(
      model.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs]),
    );
    const [name, tensor] = [...model.graph.initializers][0];
    expect(Array.from(again.graph.initializers.get(name)!.data as Float32Array)).toEqual(Array.from(tensor.data as Float32Array));
  });
});
