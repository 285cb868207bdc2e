import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('pairx demo', () => {
  it('runs the main job on the bundled demo catalog and says when the model was trained on its individuals', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pairx-demo-')), 'demo');
    const { stdout } = await run('node', [resolve('bin/pairx.js'), 'demo', '--out', out, '--pairs', '2'], { timeout: 120_000 });
    expect(stdout).toMatch(/photos {7}40 images, 40 annotations, 10 individuals/);
    expect(stdout).toMatch(/rank-1 {7}\d+\/40 /);
    expect(readdirSync(join(out, 'explanations')).filter((f) => f.endsWith('.png'))).toHaveLength(2);

    const card = JSON.parse(readFileSync('resources/models/nyala-mbv2/card.json', 'utf8'));
    const trained = new Set<string>(card.training?.trainingIndividuals ?? []);
    const names = new Set((parse(readFileSync('resources/demo/annotations.csv'), { columns: true }) as { name: string }[]).map((r) => r.name));
    const seen = [...names].filter((n) => trained.has(n)).length;
    if (seen > 0) {
      expect(stdout).toMatch(new RegExp(`note: the model was trained on ${seen} of these 10 individuals.*on individuals it never saw: rank-1 \\d+\\.\\d ± `));
    } else {
      expect(stdout).not.toMatch(/note: the model was trained on/);
    }
  }, 150_000);
});
