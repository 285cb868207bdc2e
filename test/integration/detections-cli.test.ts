import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { csvText, DEMO, demoPhotos, tempFolder } from '../catalog/helpers.ts';
import { megadetectorOutput, writeFieldFrame, writeJson, type DetectedFrame } from '../fixtures/field-frames.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PAIRX = join(REPO, 'bin/pairx.js');
const SMALL_MODEL = join(REPO, 'test/fixtures/golden/resnet-narrow-128/model.onnx');

function pairx(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PAIRX, 'catalog', ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pairx catalog import --detections, evaluate (CLI)', () => {
  it('imports field frames with MegaDetector boxes and names, embeds, and evaluates the model on them', async () => {
    const root = tempFolder();
    // Eight demo photos of four nyala, each in a field frame; their names from a CSV without boxes.
    const photos = demoPhotos().filter((p) => p.side === 'left').slice(0, 8);
    const frames: DetectedFrame[] = [];
    for (const [i, photo] of photos.entries())
      frames.push({ file: `frame-${i}.jpg`, frame: await writeFieldFrame([join(DEMO, photo.image)], join(root, 'trap', `frame-${i}.jpg`), i) });
    writeJson(join(root, 'trap', 'md.json'), megadetectorOutput(frames, 5, 3));
    writeFileSync(join(root, 'names.csv'), csvText([['image', 'name', 'side'], ...photos.map((p, i) => [`frame-${i}.jpg`, p.name, p.side])]));

    expect((await pairx(['init', root])).code).toBe(0);
    const trap = join(root, 'trap');
    const imported = await pairx(['import', trap, '--detections', join(trap, 'md.json'), '--annotations', join(root, 'names.csv')]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^trap\/md\.json \(MegaDetector 1\.4, threshold 0\.2\): 8 animal boxes added; \d+ below the threshold and 2 persons or vehicles left out; 0 photos it failed on$/m);
    expect(imported.stdout).toMatch(/annotations 8 added/);
    const listed = JSON.parse((await pairx(['list', '--catalog', root, '--json'])).stdout) as { annotations: { name: string; box: unknown }[] };
    expect(listed.annotations.map((a) => a.name)).toEqual(photos.map((p) => p.name));
    expect(listed.annotations.every((a) => a.box !== null)).toBe(true);

    const none = await pairx(['photos', '--catalog', root, '--animals', 'none', '--json']);
    expect(JSON.parse(none.stdout)).toMatchObject({ total: 0 });

    expect((await pairx(['embed', '--catalog', root, '--model', SMALL_MODEL])).code).toBe(0);
    const evaluated = await pairx(['evaluate', '--catalog', root, '--json']);
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(evaluated.stdout) as Record<string, number>;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['rank1', 'mAP', 'queries']));
    expect(result).toMatchObject({ annotations: 8, individuals: 4, queries: 8, notEmbedded: 0 });
    const plain = await pairx(['evaluate', '--catalog', root]);
    expect(plain.stdout).toMatch(/^8 named annotations of 4 individuals: rank-1 \d+\.\d%, mAP \d+\.\d% \(8 queries, 0 without another of their individual and side\) by model@/);

    // Bad input: one line, exit code 1, nothing imported.
    writeJson(join(trap, 'bad.json'), { info: { format_version: '1.7' }, detection_categories: { '1': 'animal' }, images: [] });
    const refused = await pairx(['import', trap, '--detections', join(trap, 'bad.json')]);
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'pairx: trap/bad.json is MegaDetector format version 1.7; pairx reads versions 1.0-1.6\n' });
    const threshold = await pairx(['import', trap, '--detections', join(trap, 'md.json'), '--threshold', '2']);
    expect(threshold.code).not.toBe(0);
    expect(threshold.stderr).toMatch(/--threshold must be a number from 0 to 1/);
  });
});
