import { describe, expect, it } from 'vitest';
import { convGeometry, strideOneTranspose, transposeAttributes } from '../../src/main/relevance/operators/conv.ts';
import { attr, expectClose, ModelSpec, randomArray, rng, runModel, sumAbs } from './harness.ts';

/**
 * A relevance pass maps back through a stride-1 convolution with a plain `Conv` (kernel flipped, channels
 * swapped per group) instead of `ConvTranspose`. Both must give the same numbers for every geometry the
 * zoo's networks use: 1×1, 3×3 and 5×5 kernels, depthwise and grouped, dilated, asymmetric padding.
 */
const cases = [
  { name: '1×1', channels: [8, 12], kernel: 1, group: 1, pads: [0, 0, 0, 0], dilation: 1 },
  { name: '3×3 same', channels: [6, 10], kernel: 3, group: 1, pads: [1, 1, 1, 1], dilation: 1 },
  { name: '3×3 depthwise', channels: [12, 12], kernel: 3, group: 12, pads: [1, 1, 1, 1], dilation: 1 },
  { name: '5×5 grouped, dilated', channels: [8, 4], kernel: 5, group: 2, pads: [4, 4, 4, 4], dilation: 2 },
  { name: '2×2 asymmetric padding', channels: [4, 6], kernel: 2, group: 1, pads: [0, 1, 1, 0], dilation: 1 },
  { name: '3×3 unpadded', channels: [5, 7], kernel: 3, group: 1, pads: [0, 0, 0, 0], dilation: 1 },
];

describe('the transpose of a stride-1 convolution as a convolution', () => {
  for (const c of cases) {
    it(`equals ConvTranspose: ${c.name}`, async () => {
      const random = rng(11);
      const [cin, cout] = c.channels;
      const size = 9;
      const dims = [cout, cin / c.group, c.kernel, c.kernel];
      const weight = randomArray(random, dims.reduce((a, b) => a * b, 1), { zeros: 0 });
      const reach = (c.kernel - 1) * c.dilation;
      const outH = size + c.pads[0] + c.pads[2] - reach;
      const outW = size + c.pads[1] + c.pads[3] - reach;
      const node = {
        name: 'conv',
        opType: 'Conv',
        domain: '',
        inputs: ['x', 'w'],
        outputs: ['y'],
        attributes: {
          group: attr.int(c.group),
          pads: attr.ints(c.pads),
          dilations: attr.ints([c.dilation, c.dilation]),
          kernel_shape: attr.ints([c.kernel, c.kernel]),
        },
      };
      const geometry = convGeometry(node, [c.kernel, c.kernel], [1, cin, size, size], [1, cout, outH, outW]);
      const asConv = strideOneTranspose(geometry, dims, weight);
      expect(asConv).toBeDefined();

      const incoming = randomArray(random, 3 * cout * outH * outW, { zeros: 0.1 });
      const reference = new ModelSpec();
      reference.float('w', dims, weight);
      reference.node('ConvTranspose', ['image', 'w'], { attributes: transposeAttributes(geometry), outputs: ['back'] });
      const rewritten = new ModelSpec();
      rewritten.float('w', asConv!.dims, asConv!.data);
      rewritten.node('Conv', ['image', 'w'], { attributes: asConv!.attributes, outputs: ['back'] });
      const feeds = { image: { data: incoming, dims: [3, cout, outH, outW] } };
      const expected = (await runModel(reference.build([3, cout, outH, outW], ['back']), feeds)).back;
      const actual = (await runModel(rewritten.build([3, cout, outH, outW], ['back']), feeds)).back;
      expect(actual.dims).toEqual([3, cin, size, size]);
      expect(expected.dims).toEqual(actual.dims);
      expectClose(actual.data as Float32Array, expected.data as Float32Array, { rtol: 1e-5, atol: 1e-6 * sumAbs(expected.data as Float32Array) / expected.data.length });
    });
  }

  it('leaves strided convolutions to ConvTranspose', () => {
    const node = { name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } };
    const geometry = convGeometry(node, [3, 3], [1, 4, 8, 8], [1, 4, 4, 4]);
    expect(strideOneTranspose(geometry, [4, 4, 3, 3], new Float32Array(144))).toBeUndefined();
  });
});
