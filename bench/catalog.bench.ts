/**
 * Catalog benchmarks; prints one JSON line per measurement.
 *   node --import tsx bench/catalog.bench.ts [--photos 200] [--frames 100] [--vectors 100000] [--queue 10000] [--only import,detections,candidates,queue]
 * - import: photos per second for 512-px JPEGs, thumbnails included (target ≥ 20/s);
 * - import with detections: the same photos with a MegaDetector file (an animal box, weak boxes and a
 *   person per photo), no embedding (target ≥ 100/s); and field frames three times that size;
 * - candidates: latency of one annotation's candidate query over 100,000 stored 512-d vectors (target
 *   ≤ 50 ms), exact and through the sign index, with the recall of the latter;
 * - review queue: every annotation's candidates at once (what the review queue loads) for a catalog of
 *   10,000 annotations with 256-d vectors (the default model's size).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Workbench } from '../src/main/workbench.ts';
import { megadetectorOutput, writeFieldFrame, writeJson, type DetectedFrame } from '../test/fixtures/field-frames.ts';
import { fillSynthetic, gaussian, seededRandom } from '../test/fixtures/synthetic-catalog.ts';

const { values } = parseArgs({ options: {
    photos: { type: 'string', default: '200' },
    frames: { type: 'string', default: '100' },
    /** Some of: import, detections, candidates, queue (default all). */
    only: { type: 'string', default: 'import,detections,candidates,queue' },
    vectors: { type: 'string', default: '100000' },
    queue: { type: 'string', default: '10000' },
  }, });
const NYALA = fileURLToPath(new URL('../../shared/data/nyala-train/', import.meta.url));
const DEMO = fileURLToPath(new URL('../resources/demo/photos/', import.meta.url));
/** Synthetic individuals: this many vectors each, close to a centre of their own. */
const GROUP = 5;
const DIM = 512;

const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(record)}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const round = (value: number, digits = 1) => +value.toFixed(digits);

function photoFiles(folder: string): string[] {
  return (readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.jpg')).sort().map((name) => join(folder, name));
}

async function benchImport(count: number): Promise<void> {
  const source = existsSync(NYALA) ? NYALA : DEMO;
  const photos = photoFiles(source).slice(0, count);
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-import-'));
  try {
    mkdirSync(join(root, 'photos'));
    photos.forEach((photo, i) => copyFileSync(photo, join(root, 'photos', `${i}.jpg`)));
    const workbench = Workbench.init(root);
    let start = performance.now();
    const summary = await workbench.importFolder();
    const seconds = (performance.now() - start) / 1000;
    emit({ bench: 'import', photos: summary.added, failed: summary.failed, seconds: round(seconds, 2), photosPerSecond: round(summary.added / seconds), target: '>= 20', source });
    start = performance.now();
    const again = await workbench.importFolder();
    emit({ bench: 'reimport-unchanged', photos: again.unchanged, seconds: round((performance.now() - start) / 1000, 3) });
    workbench.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Import with a detector's output and no embedding: `count` photos as they are (an animal box a third
 * of each photo, as MegaDetector would give it), then `frames` field frames three times their size.
 */
async function benchImportDetections(count: number, frames: number): Promise<void> {
  const source = existsSync(NYALA) ? NYALA : DEMO;
  const photos = photoFiles(source);
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-detections-'));
  try {
    mkdirSync(join(root, 'photos'));
    const detected: DetectedFrame[] = photos.slice(0, count).map((photo, i) => {
      copyFileSync(photo, join(root, 'photos', `${i}.jpg`));
      // Only the fractions matter to MegaDetector's file: a box in the middle third of each photo.
      return { file: `${i}.jpg`, frame: { width: 3, height: 3, boxes: [{ x: 1, y: 1, w: 1, h: 1 }] } };
    });
    writeJson(join(root, 'photos', 'md.json'), megadetectorOutput(detected, 1, 5));
    mkdirSync(join(root, 'frames'));
    const framed: DetectedFrame[] = [];
    for (let i = 0; i < frames; i++) {
      const file = `frame-${i}.jpg`;
      framed.push({ file, frame: await writeFieldFrame([photos[i % photos.length]], join(root, 'frames', file), i) });
    }
    writeJson(join(root, 'frames', 'md.json'), megadetectorOutput(framed, 2, 5));

    const workbench = Workbench.init(root);
    for (const [folder, what] of [
      ['photos', `${count} photos as they are`],
      ['frames', `${frames} field frames three times their size`],
    ]) {
      const start = performance.now();
      const summary = await workbench.importFolder(join(root, folder), { detections: join(root, folder, 'md.json') });
      const seconds = (performance.now() - start) / 1000;
      emit({
        bench: 'import-detections',
        what,
        photos: summary.added,
        boxes: summary.detections?.animalBoxes,
        seconds: round(seconds, 2),
        photosPerSecond: round(summary.added / seconds),
        target: '>= 100 (no embedding)',
        source,
      });
    }
    workbench.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function timeQueries(workbench: Workbench, queries: number[]): Promise<{ times: number[]; found: Map<number, number[]> }> {
  const found = new Map<number, number[]>();
  await workbench.candidates({ order: 'pairs', annotationId: queries[0], k: 10 }); // warm the page cache and statements
  const times: number[] = [];
  for (const id of queries) {
    const start = performance.now();
    const [result] = (await workbench.candidates({ order: 'pairs', annotationId: id, k: 10 })).perAnnotation;
    times.push(performance.now() - start);
    found.set(id, result.candidates.map((candidate) => candidate.annotationId));
  }
  return { times: times.sort((a, b) => a - b), found };
}

async function benchCandidates(count: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-knn-'));
  try {
    const workbench = Workbench.init(root);
    let start = performance.now();
    // Vectors of one individual lie near its centre; all are shifted off the origin, as features often are.
    const offset = Float32Array.from({ length: DIM }, (_, i) => 0.5 + 0.5 * Math.sin(i));
    let centre = new Float32Array(DIM);
    const { model, annotations } = fillSynthetic(workbench.store, {
      count,
      dim: DIM,
      side: (i) => (Math.floor(i / GROUP) % 2 === 0 ? 'left' : 'right'),
      keepVectors: false,
      vector: (i, random) => {
        if (i % GROUP === 0) centre = Float32Array.from({ length: DIM }, () => gaussian(random));
        return centre.map((value, j) => offset[j] + 0.35 * value + 0.3 * gaussian(random));
      },
    });
    emit({ bench: 'store-vectors', vectors: count, dim: DIM, seconds: round((performance.now() - start) / 1000) });

    const random = seededRandom(7);
    const queries = Array.from({ length: 40 }, () => annotations[Math.floor(random() * annotations.length)].id);
    const exact = await timeQueries(workbench, queries);
    emit({ bench: 'candidates-exact', vectors: count, dim: DIM, k: 10, queries: queries.length, medianMs: round(percentile(exact.times, 0.5)), p95Ms: round(percentile(exact.times, 0.95)) });

    start = performance.now();
    const built = workbench.store.embeddings.refreshSignIndex(model);
    emit({ bench: 'build-sign-index', built, vectors: count, seconds: round((performance.now() - start) / 1000) });

    const indexed = await timeQueries(workbench, queries);
    let overlap = 0;
    let mates = 0;
    for (const id of queries) {
      const got = new Set(indexed.found.get(id));
      overlap += exact.found.get(id)!.filter((other) => got.has(other)).length / 10;
      const first = Math.floor((id - 1) / GROUP) * GROUP + 1;
      mates += Array.from({ length: GROUP }, (_, i) => first + i).filter((other) => other !== id && got.has(other)).length / (GROUP - 1);
    }
    emit({
      bench: 'candidates-one-annotation',
      search: built ? 'sign index + exact re-scoring' : 'exact',
      vectors: count,
      dim: DIM,
      k: 10,
      queries: queries.length,
      medianMs: round(percentile(indexed.times, 0.5)),
      p95Ms: round(percentile(indexed.times, 0.95)),
      target: '<= 50 ms',
      trueMatchRecall: round(mates / queries.length, 3),
      overlapWithExactTop10: round(overlap / queries.length, 3),
    });
    workbench.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchQueue(count: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-queue-'));
  try {
    const workbench = Workbench.init(root);
    const dim = 256;
    let centre = new Float32Array(dim);
    fillSynthetic(workbench.store, {
      count,
      dim,
      keepVectors: false,
      side: (i) => (Math.floor(i / GROUP) % 2 === 0 ? 'left' : 'right'),
      individual: (i) => (i % 3 === 0 ? null : `individual-${Math.floor(i / GROUP)}`),
      vector: (i, random) => {
        if (i % GROUP === 0) centre = Float32Array.from({ length: dim }, () => gaussian(random));
        return centre.map((value) => value + 0.5 * gaussian(random));
      },
    });
    const times: number[] = [];
    let pairs = 0;
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      pairs = (await workbench.candidates({ order: 'pairs', k: 10 })).queue.length;
      times.push(performance.now() - start);
    }
    emit({ bench: 'review-queue', annotations: count, dim, k: 10, pairs, medianMs: round(times.sort((a, b) => a - b)[1]) });
    workbench.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const only = new Set(values.only.split(','));
if (only.has('import')) await benchImport(Number(values.photos));
if (only.has('detections')) await benchImportDetections(Number(values.photos), Number(values.frames));
if (only.has('candidates')) await benchCandidates(Number(values.vectors));
if (only.has('queue')) await benchQueue(Number(values.queue));
