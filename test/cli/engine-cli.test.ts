import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../src/main/onnx/model-proto.ts';
import { DataType, floatTensor, type IrModel } from '../../src/main/onnx/ir.ts';
import { readNpy } from '../../src/main/arrays/npy.ts';
import { writeUnfaithfulModel } from '../fixtures/unfaithful-model.ts';

const run = promisify(execFile);
const CLI = resolve('bin/pairx.js');
const MODEL = resolve('test/fixtures/golden/resnet-narrow-128/model.onnx');
const PHOTOS = resolve('test/fixtures/photos');

async function pairx(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], { cwd: tmp });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pairx-cli-'));
});

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose header claims width×height but holds (almost) no pixel data: a header check must catch it. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const expectOneLineError = (result: { code: number; stderr: string }, pattern: RegExp) => {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
};

describe('pairx explain on real photos', () => {
  it('writes the picture, JSON and arrays', async () => {
    const out = join(tmp, 'pair.png');
    const json = join(tmp, 'pair.json');
    const arrays = join(tmp, 'arrays');
    const result = await pairx('explain', join(PHOTOS, 'nyala-100-left-a.jpg'), join(PHOTOS, 'nyala-100-left-b.jpg'),
      '--model', MODEL, '--layer', 'layer2', '--out', out, '--json', json, '--arrays', arrays);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/similarity\s+0\.\d+/);
    const meta = await sharp(out).metadata();
    expect(meta.width).toBe(256); // the reference layout, and its caption under it
    expect(meta.height).toBeGreaterThan(256);
    expect(meta.height).toBeLessThan(256 + 80);
    const parsed = JSON.parse(readFileSync(json, 'utf8'));
    expect(parsed.layer).toBe('layer2');
    expect(parsed.provider).toBe('cpu');
    expect(parsed.matches.length).toBeGreaterThan(0);
    expect(Object.keys(parsed.matches[0]).sort()).toEqual(['coord0', 'coord1', 'distance', 'point0', 'point1', 'relevance']);
    expect(parsed.conservation).toMatchObject({ faithful: true, bounds: { layer: 100, pixels: 10 } });
    expect(parsed.conservation.pixels[0]).toHaveLength(parsed.kColors);
    expect(result.stdout).toMatch(/^conservation faithful: relevance at the layer .* off, pixel maps .* off at worst/m);
    for (const name of ['relevance0', 'relevance1', 'pixel0', 'pixel1', 'fm0', 'fm1', 'emb0', 'emb1', 'conservation0', 'conservation1']) {
      expect(existsSync(join(arrays, `${name}.npy`))).toBe(true);
    }
    // [Σ seed, Σ relevance, error] of the pass to the layer, then of each pixel map.
    const rows = await readNpy(join(arrays, 'conservation1.npy'));
    expect(rows.shape).toEqual([1 + parsed.kColors, 3]);
    expect(rows.data[2]).toBeCloseTo(parsed.conservation.layer[1].error, 5);
    expect(rows.data[3 * parsed.kColors + 2]).toBeCloseTo(parsed.conservation.pixels[1][parsed.kColors - 1].error, 5);
  });

  it('warns in one line, and says so in the JSON and the picture, where the explanation is not faithful', async () => {
    const model = writeUnfaithfulModel(join(tmp, 'unfaithful'));
    const paths = [join(PHOTOS, 'nyala-100-left-a.jpg'), join(PHOTOS, 'nyala-100-left-b.jpg')];
    const json = join(tmp, 'unfaithful.json');
    const out = join(tmp, 'unfaithful.png');
    const result = await pairx('explain', ...paths, '--model', model, '--k-colors', '3', '--json', json, '--out', out);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pairx: warning: explanation not faithful at layer features: relevance ×\S+ off; try layer features\.1$/);
    expect(result.stdout).toMatch(/^conservation NOT FAITHFUL/m);
    const parsed = JSON.parse(readFileSync(json, 'utf8'));
    expect(parsed.conservation).toMatchObject({ faithful: false, suggestedLayer: 'features.1' });
    expect(parsed.conservation.worstPixels).toBeGreaterThan(10);
    // The caption under the picture is the warning's line, on red.
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const captionPixel = (info.height - 2) * info.width * info.channels;
    expect([data[captionPixel], data[captionPixel + 1], data[captionPixel + 2]]).toEqual([0xb0, 0x00, 0x20]);
  });

  it('lists layers with shapes', async () => {
    const result = await pairx('layers', '--model', MODEL);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^layer2 {2}\[1, 32, 16, 16\]/m);
  });

  it('embeds a folder into an .npy with the paths beside it', async () => {
    const out = join(tmp, 'emb.npy');
    const result = await pairx('embed', PHOTOS, '--model', MODEL, '--out', out);
    expect(result.code).toBe(0);
    const paths = readFileSync(join(tmp, 'emb.txt'), 'utf8').trim().split('\n');
    expect(paths.length).toBeGreaterThanOrEqual(4);
    expect(readFileSync(out).length).toBeGreaterThan(paths.length * 64 * 4);
  });

  it('evaluates a model on labelled photos through the engine', async () => {
    const result = await pairx('evaluate', PHOTOS, '--model', MODEL, '--json');
    expect(result.code).toBe(0);
    const metrics = JSON.parse(result.stdout);
    // Two left photos of nyala-100 are the only queries with a positive of their side.
    expect(metrics).toMatchObject({ photos: 4, individuals: 2, queries: 2, skipped: 2 });
    expect(metrics.rank1).toBeGreaterThanOrEqual(0);
    expect(metrics.mAP).toBeGreaterThan(0);
  });

  it("reports the card's k-fold estimate beside what it measures, and flags individuals seen in training", async () => {
    const folder = join(tmp, 'carded');
    mkdirSync(folder, { recursive: true });
    copyFileSync(MODEL, join(folder, 'model.onnx'));
    const kfold = { rank1: { mean: 0.123, sd: 0.021 }, mAP: { mean: 0.155, sd: 0.018 }, folds: 5, queries: 900 };
    writeFileSync(join(folder, 'card.json'), JSON.stringify({
      name: 'carded', input: { width: 128, height: 128 }, embedding: { name: 'embedding' },
      training: { heldOutIndividuals: [], trainingIndividuals: ['nyala-100'] }, metrics: { kfold },
    }));
    const text = await pairx('evaluate', PHOTOS, '--model', folder);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/note: 1 of these 2 individuals were in the model's training set/);
    expect(text.stdout).toMatch(/never seen in training: rank-1 12\.3 ± 2\.1%, mAP 15\.5 ± 1\.8% \(5-fold over individuals, 900 queries\)/);
    const json = JSON.parse((await pairx('evaluate', PHOTOS, '--model', folder, '--json')).stdout);
    expect(json).toMatchObject({ individualsSeenInTraining: 1, cardKfold: kfold });
    expectOneLineError(await pairx('evaluate', PHOTOS, '--model', folder, '--held-out'),
      /lists no held-out individuals \(it was trained on all of them; its k-fold figures: rank-1 12\.3 ± 2\.1%/);
  });

  it('uses all matches and says so when --k-colors exceeds them', async () => {
    const json = join(tmp, 'k.json');
    const result = await pairx('explain', join(PHOTOS, 'nyala-100-left-a.jpg'), join(PHOTOS, 'nyala-100-left-b.jpg'),
      '--model', MODEL, '--layer', 'layer3', '--k-colors', '500', '--out', join(tmp, 'k.png'), '--json', json);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(readFileSync(json, 'utf8'));
    expect(parsed.kColors).toBe(parsed.matches.length);
    expect(result.stderr).toMatch(new RegExp(`--k-colors 500 is more than the ${parsed.matches.length} matches; using all`));
  });
});

describe('pairx explain on bad input', () => {
  const good = () => join(PHOTOS, 'nyala-100-left-a.jpg');

  it('refuses a file that is not an image', async () => {
    const path = join(tmp, 'notes.jpg');
    writeFileSync(path, 'field notes, not a photo\n');
    expectOneLineError(await pairx('explain', good(), path, '--model', MODEL), /notes\.jpg: cannot read image/);
  });

  it('refuses a truncated JPEG', async () => {
    const bytes = readFileSync(good());
    const path = join(tmp, 'truncated.jpg');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectOneLineError(await pairx('explain', good(), path, '--model', MODEL), /truncated\.jpg: cannot read image/);
  });

  it('refuses an image over 100 megapixels before decoding it', async () => {
    const path = join(tmp, 'huge.png');
    writeFileSync(path, pngHeader(20000, 10000));
    expectOneLineError(await pairx('explain', good(), path, '--model', MODEL), /huge\.png: image is 20000×10000 \(200 megapixels\), over the 100-megapixel limit/);
  });

  it('refuses an ONNX file that does not parse', async () => {
    const path = join(tmp, 'broken.onnx');
    writeFileSync(path, Buffer.from('this is not protobuf at all, just text'.repeat(10)));
    expectOneLineError(await pairx('explain', good(), good(), '--model', path), /broken\.onnx is not a valid ONNX model/);
  });

  it('names the valid layers when the layer does not exist', async () => {
    expectOneLineError(await pairx('explain', good(), good(), '--model', MODEL, '--layer', 'layer9'), /no layer 'layer9'; valid layers: conv1, .*layer2.*layer3/);
  });

  it('names the node and operator that has no LRP rule', async () => {
    const path = join(tmp, 'softmax.onnx');
    writeFileSync(path, writeModel(softmaxModel()));
    expectOneLineError(
      await pairx('explain', good(), good(), '--model', path, '--layer', 'features'),
      /cannot propagate relevance through node '\/head\/Softmax' \(Softmax\)/,
    );
  });

  it('prints the stack trace with --verbose', async () => {
    const result = await pairx('explain', good(), good(), '--model', MODEL, '--layer', 'layer9', '--verbose');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

/** image → Conv (scope /features) → Softmax (scope /head) → GlobalAveragePool → Flatten → embedding. */
function softmaxModel(): IrModel {
  const weight = floatTensor('w', [4, 3, 3, 3], Array.from({ length: 108 }, (_, i) => Math.sin(i)));
  return {
    irVersion: 8,
    producerName: 'test',
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: 'softmax',
      initializers: new Map([['w', weight]]),
      inputs: [{ name: 'image', elemType: DataType.FLOAT, shape: ['batch', 3, 32, 32] }],
      outputs: [{ name: 'embedding', elemType: DataType.FLOAT, shape: ['batch', 4] }],
      nodes: [
        { name: '/features/Conv', opType: 'Conv', domain: '', inputs: ['image', 'w'], outputs: ['f'], attributes: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
        { name: '/head/Softmax', opType: 'Softmax', domain: '', inputs: ['f'], outputs: ['s'], attributes: { axis: { kind: 'int', value: 1 } } },
        { name: '/pool/GlobalAveragePool', opType: 'GlobalAveragePool', domain: '', inputs: ['s'], outputs: ['p'], attributes: {} },
        { name: '/Flatten', opType: 'Flatten', domain: '', inputs: ['p'], outputs: ['embedding'], attributes: {} },
      ],
    },
  };
}
