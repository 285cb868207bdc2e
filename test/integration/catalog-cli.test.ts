import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO, copyDemoPhotos, tempFolder } from '../catalog/helpers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The real `pairx` command (it registers src/main/cli/catalog.ts through src/main/cli.ts). */
const PAIRX = join(REPO, 'bin/pairx.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pairx catalog <args>`; `onStderr` sees stderr as it comes (to send Ctrl+C at the right moment). */
function pairx(args: string[], options: { cwd?: string; onStderr?: (text: string, signal: (name: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PAIRX, 'catalog', ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, PAIRX_REVIEWER: 'tester', NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, (name) => child.kill(name));
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pairx catalog (CLI)', () => {
  it('inits, imports with a CSV, reports status and names, decides, undoes and exports', async () => {
    const root = tempFolder();
    copyDemoPhotos(root);
    expect(await pairx(['init', root])).toMatchObject({ code: 0, stdout: expect.stringContaining(`initialised a catalog in ${root}`) });

    const imported = await pairx(['import', root, '--annotations', join(DEMO, 'annotations.csv'), '--json']);
    expect(imported.code).toBe(0);
    // stderr is not a terminal here: progress comes as plain lines.
    expect(imported.stderr).toMatch(/^images: \d+\/40$/m);
    expect(JSON.parse(imported.stdout)).toMatchObject({ scanned: 40, added: 40, annotationsAdded: 40, issues: [] });

    // No --catalog: found from the working folder, like git.
    const status = await pairx(['status', '--json'], { cwd: join(root, 'photos') });
    expect(JSON.parse(status.stdout)).toMatchObject({ folder: root, images: 40, annotations: 40, individuals: 10, decidedPairs: 0 });

    const conflict = await pairx(['decide', '1', '5', 'same', '--catalog', root]);
    expect(conflict).toMatchObject({ code: 2, stdout: '' });
    expect(conflict.stderr).toMatch(/^pairx: 1 is "nyala-106" and 5 is "nyala-123"; nothing recorded\. To merge them, run again with --confirm-merge keep-a/);

    const merged = await pairx(['decide', '1', '5', 'same', '--confirm-merge', 'keep-a', '--note', 'same scar', '--catalog', root, '--json']);
    expect(JSON.parse(merged.stdout)).toMatchObject({ decision: { verdict: 'same', merge: 'keep-a', reviewer: 'tester', note: 'same scar' }, individual: { name: 'nyala-106' } });

    const undone = await pairx(['undo', '--catalog', root]);
    expect(undone).toMatchObject({ code: 0, stdout: 'undid #1 1 same 5 (keep-a) [undone by #2] (log entry #2)\n' });

    const exported = await pairx(['export', '--catalog', root, '--out', join(root, 'out')]);
    expect(exported.code).toBe(0);
    expect(existsSync(join(root, 'out/annotations.csv')) && existsSync(join(root, 'out/decisions.csv'))).toBe(true);
  });

  it('reports errors as one line with a non-zero exit code and no stack trace', async () => {
    const root = tempFolder();
    const notCatalog = await pairx(['status', '--catalog', root]);
    expect(notCatalog).toEqual({ code: 1, stdout: '', stderr: `pairx: ${root} is not a pairx catalog (run \`pairx catalog init ${root}\`)\n` });

    await pairx(['init', root]);
    const badVerdict = await pairx(['decide', '1', '2', 'maybe', '--catalog', root]);
    expect(badVerdict).toEqual({ code: 1, stdout: '', stderr: 'pairx: verdict: Invalid option: expected one of "same"|"different"|"unsure"\n' });
    const noEmbeddings = await pairx(['candidates', '--catalog', root]);
    expect(noEmbeddings).toMatchObject({ code: 1, stderr: 'pairx: this catalog has no embeddings yet (run `pairx catalog embed`)\n' });
  });

  it('cancels an import cleanly on Ctrl+C, and the same command resumes it', async () => {
    const root = tempFolder();
    copyDemoPhotos(root);
    await pairx(['init', root]);
    let sent = false;
    const cancelled = await pairx(['import', root], {
      onStderr: (text, signal) => {
        if (!sent && /^images: /m.test(text)) {
          sent = true;
          signal('SIGINT');
        }
      },
    });
    expect(cancelled.code).toBe(130);
    expect(cancelled.stdout).toMatch(/^cancelled after 40 files: \d+ new, /m);
    expect(cancelled.stderr).toMatch(/^pairx: import cancelled; run the same command to resume$/m);
    const added = Number(/(\d+) new/.exec(cancelled.stdout)![1]);
    expect(added).toBeLessThan(40);
    const resumed = await pairx(['import', root, '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ added: 40 - added, unchanged: added, cancelled: false });
  });

  it('ends quietly when the reader of its output goes away (`pairx catalog list --json | head`)', async () => {
    const root = tempFolder();
    copyDemoPhotos(root);
    expect((await pairx(['init', root])).code).toBe(0);
    expect((await pairx(['import', root, '--annotations', join(DEMO, 'annotations.csv')])).code).toBe(0);
    const closed = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [PAIRX, 'catalog', 'list', '--json', '--catalog', root], {
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      // The reader leaves before the command writes: its first write meets a closed pipe (EPIPE).
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(0);
  });
});
