import { parse } from 'csv-parse/sync';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The demo catalog's photos: real 512-px nyala photos (from NyalaData, see resources/demo/CREDITS.md). */
export const DEMO = fileURLToPath(new URL('../../resources/demo/', import.meta.url));

export interface DemoPhoto {
  image: string;
  name: string;
  side: string;
}

export const demoPhotos = (): DemoPhoto[] => parse(readFileSync(join(DEMO, 'annotations.csv')), { columns: true }) as DemoPhoto[];

const created: string[] = [];
afterEach(() => {
  while (created.length > 0) rmSync(created.pop()!, { recursive: true, force: true });
});

/** A temporary folder removed after the test. */
export function tempFolder(prefix = 'pairx-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  created.push(folder);
  return folder;
}

/** Copies demo photos (all, or the first `count`) into `root` at their demo paths; returns them. */
export function copyDemoPhotos(root: string, count?: number): DemoPhoto[] {
  const photos = demoPhotos().slice(0, count);
  for (const photo of photos) {
    const target = join(root, photo.image);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(DEMO, photo.image), target);
  }
  return photos;
}

export const csvText = (rows: (string | number)[][]): string => `${rows.map((row) => row.join(',')).join('\n')}\n`;
