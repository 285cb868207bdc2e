import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempFolder } from '../catalog/helpers.ts';
import { checkCamtrapDpPackage } from '../formats/camtrap-dp-checker.ts';
import { layOutWbia } from '../formats/fixtures.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function pairx(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/pairx.js'), 'catalog', ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pairx catalog import/export in the field formats (CLI)', () => {
  it('imports a WBIA COCO file, sets the species, exports a Camtrap DP package; bad deployments are one line', async () => {
    const root = tempFolder();
    const { folder, file } = layOutWbia(root);
    expect((await pairx(['init', root])).code).toBe(0);
    const imported = await pairx(['import', folder, '--annotations', file, '--json']);
    expect(JSON.parse(imported.stdout)).toMatchObject({ added: 6, annotationsAdded: 6, issues: [], annotationFiles: [{ format: 'coco', rows: 6 }] });

    const settings = await pairx(['settings', '--catalog', root, '--reviewer', 'ana', '--genus', 'Tragelaphus', '--specific-epithet', 'angasii', '--sampling-design', 'opportunistic', '--capture-method', 'activityDetection']);
    expect(settings.stdout).toMatch(/genus\s+Tragelaphus/);
    const badGenus = await pairx(['settings', '--catalog', root, '--genus', 'tragelaphus']);
    expect(badGenus).toMatchObject({ code: 1, stderr: 'pairx: genus: a genus starts with a capital letter, the rest lower case (Tragelaphus)\n' });

    writeFileSync(join(root, 'deployments.csv'), 'deploymentID,folder,latitude,longitude\ncam-1,coco/images/train2024,-27.5,32.25\ncam-2,coco/images/val2024,-27.6,32.3\n');
    const out = join(root, 'package');
    const refused = await pairx(['export', '--catalog', root, '--format', 'camtrap-dp', '--out', out, '--deployments', join(root, 'deployments.csv'), '--utc-offset', '+02:00']);
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'pairx: deployments.csv line 3: folder "coco/images/val2024" holds no photo of the catalog (folders with photos: "coco/images/train2024")\n' });
    expect(existsSync(out)).toBe(false);

    writeFileSync(join(root, 'deployments.csv'), 'deploymentID,folder,latitude,longitude\ncam-1,coco/images/train2024,-27.5,32.25\n');
    const exported = await pairx(['export', '--catalog', root, '--format', 'camtrap-dp', '--out', out, '--deployments', join(root, 'deployments.csv'), '--utc-offset', '+02:00']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(`wrote a Camtrap DP 1.0 package (checked against the standard) to ${out}: 6 annotations of 5 photos, 1 deployment(s)`);
    expect(checkCamtrapDpPackage(out).problems).toEqual([]);
  });
});
