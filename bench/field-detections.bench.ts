/**
 * What a detector's boxes are worth on field photos (issue 18), measured as a user would: the nyala
 * photos of ../shared/data/nyala-train each pasted into a scene three times its size made from its own
 * corner (test/fixtures/field-frames.ts: the animal covers about a ninth of the frame), with a
 * MegaDetector batch-output file holding the true box at high confidence, one or two weak false boxes
 * below the threshold and a person on every fifth frame. Three catalogs, each through the `pairx`
 * command itself (init, import, embed with the model, catalog evaluate --json):
 *   - detector crops: the frames imported with --detections and --annotations (names, sides);
 *   - whole frames: the same frames imported with the names only (each frame one whole-photo annotation);
 *   - cut to the animal: the original photos (what the frames were made from).
 * Prints one JSON line per catalog.
 *   node --import tsx bench/field-detections.bench.ts [--limit 1213] [--model <folder>] [--keep <folder>]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { megadetectorOutput, writeFieldFrame, writeJson, type DetectedFrame } from '../test/fixtures/field-frames.ts';

const { values } = parseArgs({
  options: {
    limit: { type: 'string' },
    model: { type: 'string' },
    keep: { type: 'string' },
  },
});
const REPO = fileURLToPath(new URL('../', import.meta.url));
const NYALA = fileURLToPath(new URL('../../shared/data/nyala-train/', import.meta.url));
if (!existsSync(NYALA)) throw new Error(`${NYALA} is missing: this benchmark needs ../shared/data/nyala-train`);

const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const round = (value: number, digits = 1) => +value.toFixed(digits);

/** `pairx catalog …`, as a user runs it; throws with its stderr when it fails. */
function pairx(args: string[]): string {
  const run = spawnSync(process.execPath, [join(REPO, 'bin/pairx.js'), 'catalog', ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`pairx catalog ${args.join(' ')} failed: ${run.stderr}`);
  process.stderr.write(`$ pairx catalog ${args.join(' ')}\n`);
  return run.stdout;
}

interface Row {
  image: string;
  name: string;
  side: string;
}

const rows = (parse(readFileSync(join(NYALA, 'annotations.csv')), { columns: true }) as Row[]).slice(0, values.limit ? Number(values.limit) : undefined);
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'pairx-field-'));
mkdirSync(work, { recursive: true });
const model = values.model ? ['--model', values.model] : [];

try {
  // The frames, their MegaDetector file and the names, once.
  const started = performance.now();
  const frames = join(work, 'frames');
  const detected: DetectedFrame[] = [];
  for (const [i, row] of rows.entries()) {
    const file = row.image.replace(/\.jpg$/i, '.frame.jpg');
    const out = join(frames, file);
    detected.push({ file, frame: await writeFieldFrame([join(NYALA, row.image)], out, 1000 + i) });
  }
  writeJson(join(frames, 'md.json'), megadetectorOutput(detected, 18, 5));
  const csv = (image: (row: Row, i: number) => string) => `image,name,side\n${rows.map((row, i) => `${image(row, i)},${row.name},${row.side}`).join('\n')}\n`;
  writeFileSync(join(frames, 'names.csv'), csv((_, i) => detected[i].file));
  const photos = join(work, 'photos');
  for (const row of rows) {
    mkdirSync(dirname(join(photos, row.image)), { recursive: true });
    copyFileSync(join(NYALA, row.image), join(photos, row.image));
  }
  writeFileSync(join(photos, 'names.csv'), csv((row) => row.image));
  emit({ bench: 'field-frames', frames: rows.length, individuals: new Set(rows.map((r) => r.name)).size, seconds: round((performance.now() - started) / 1000) });

  const variants: { variant: string; folder: string; catalog: string; importArgs: string[] }[] = [
    { variant: 'detector crops (--detections, --annotations)', folder: frames, catalog: join(work, 'catalog-detections'), importArgs: ['--detections', join(frames, 'md.json'), '--annotations', join(frames, 'names.csv')] },
    { variant: 'whole frames (--annotations only)', folder: frames, catalog: join(work, 'catalog-whole'), importArgs: ['--annotations', join(frames, 'names.csv')] },
    { variant: 'photos cut to the animal', folder: photos, catalog: join(work, 'catalog-photos'), importArgs: ['--annotations', join(photos, 'names.csv')] },
  ];
  for (const { variant, folder, catalog, importArgs } of variants) {
    // A catalog folder holding the photos, as a user's would: the photos are linked in, not copied again.
    rmSync(catalog, { recursive: true, force: true });
    mkdirSync(catalog, { recursive: true });
    spawnSync('cp', ['-al', folder, join(catalog, 'photos')]);
    const inside = (path: string) => path.replace(folder, join(catalog, 'photos'));
    const start = performance.now();
    pairx(['init', catalog]);
    const imported = JSON.parse(pairx(['import', join(catalog, 'photos'), ...importArgs.map(inside), '--json'])) as { added: number; detections?: unknown };
    const importSeconds = (performance.now() - start) / 1000;
    const embedStart = performance.now();
    pairx(['embed', '--catalog', catalog, ...model]);
    const embedSeconds = (performance.now() - embedStart) / 1000;
    const evaluated = JSON.parse(pairx(['evaluate', '--catalog', catalog, '--json'])) as Record<string, number | string | null>;
    emit({
      bench: 'field-detections',
      variant,
      photos: imported.added,
      annotations: evaluated.annotations,
      rank1: round(100 * (evaluated.rank1 as number)),
      mAP: round(100 * (evaluated.mAP as number)),
      queries: evaluated.queries,
      individuals: evaluated.individuals,
      individualsSeenInTraining: evaluated.individualsSeenInTraining,
      model: evaluated.model,
      importSeconds: round(importSeconds),
      embedSeconds: round(embedSeconds),
      ...(imported.detections ? { detections: imported.detections } : {}),
    });
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
