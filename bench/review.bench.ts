/**
 * The simulated-reviewer benchmark: a catalog of named photos imported WITHOUT their names, a reviewer
 * who answers every question from the names, and the number of decisions until 50, 80 and 95 % of the
 * true same-individual links are recorded, for the review queue over individuals and the plain pair
 * queue (each annotation's 10 nearest) in the same run. With --errors, the reviewer gives the wrong
 * answer to that share of the questions (each answer independently, seeded, --seeds runs each), and the
 * run also reports the links recorded, the false links and the individuals holding two or more animals
 * at --budget decisions and at the end. Also the time from a decision to the next question. Prints one
 * JSON line per run and a table at the end.
 *   npm run bench:review -- [--source demo|nyala|held-out] [--side left|right|each] [--model <folder>] [--max 3000]
 *     [--individuals <names.txt>] [--min-photos N] [--errors 0,0.02,0.05,0.1] [--seeds 10] [--budget 900] [--queues individuals,pairs]
 *   npm run bench:review -- --scale 10000,100000   (synthetic catalogs: graph build, decision to next question)
 * - demo: resources/demo (40 photos, 10 nyala, both flanks);
 * - held-out: the photos in ../shared/data of the individuals the model card lists as held out from
 *   training (individuals the model never saw), or of those named in `--individuals <file>`; run by
 *   default only when there are such individuals (a model trained on all of them lists none);
 * - nyala: every photo in ../shared/data (1,213 photos, 179 nyala; the default model saw most of them).
 */
import { parse } from 'csv-parse/sync';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultModelPath } from '../src/main/models/default-model.ts';
import { Workbench } from '../src/main/workbench.ts';
import { fillSynthetic, gaussian } from '../test/fixtures/synthetic-catalog.ts';
import {
  countLinks,
  decisionsToReach,
  simulateReview,
  type SimulationResult,
} from '../test/fixtures/simulated-reviewer.ts';

const { values } = parseArgs({
  options: {
    source: { type: 'string', multiple: true },
    side: { type: 'string', default: 'each' },
    model: { type: 'string' },
    max: { type: 'string', default: '3000' },
    scale: { type: 'string' },
    individuals: { type: 'string' },
    errors: { type: 'string', default: '0' },
    seeds: { type: 'string', default: '1' },
    budget: { type: 'string', default: '900' },
    'min-photos': { type: 'string', default: '1' },
    queues: { type: 'string', default: 'individuals,pairs' },
  },
});
const errorRates = values.errors!.split(',').map(Number);
const seedCount = Number(values.seeds);
const budget = Number(values.budget);
const queues = values.queues!.split(',') as ('individuals' | 'pairs')[];
const NYALA = fileURLToPath(new URL('../../shared/data/nyala-train/', import.meta.url));
const DEMO = fileURLToPath(new URL('../resources/demo/', import.meta.url));
const modelPath = values.model ?? defaultModelPath();
const maxDecisions = Number(values.max);

interface Photo {
  image: string;
  name: string;
  side: string;
}

function readPhotos(folder: string): Photo[] {
  return parse(readFileSync(join(folder, 'annotations.csv')), {
    columns: true,
    skip_empty_lines: true,
  }) as Photo[];
}

function cardHeldOut(): string[] {
  const card = JSON.parse(readFileSync(join(modelPath, 'card.json'), 'utf8')) as {
    training?: { heldOutIndividuals?: string[] };
  };
  return card.training?.heldOutIndividuals ?? [];
}

function heldOutNames(): Set<string> {
  // A list of names (one a line), e.g. the test individuals of one k-fold model (tools/TRAINING.md).
  if (values.individuals) return new Set(readFileSync(values.individuals, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
  const names = cardHeldOut();
  if (names.length === 0) {
    throw new Error(
      `${modelPath}/card.json lists no held-out individuals (a model trained on all of them): pass --model <a k-fold model> --individuals <its test-individuals.txt>`,
    );
  }
  return new Set(names);
}

/** A catalog of the photos, imported with sides but without names, embedded with the model. */
async function buildCatalog(
  folder: string,
  photos: Photo[],
): Promise<{ root: string; truthByImage: Map<string, string> }> {
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-review-'));
  const truthByImage = new Map<string, string>();
  for (const photo of photos) {
    mkdirSync(dirname(join(root, photo.image)), { recursive: true });
    copyFileSync(join(folder, photo.image), join(root, photo.image));
    truthByImage.set(photo.image, photo.name);
  }
  writeFileSync(
    join(root, 'sides.csv'),
    `image,side\n${photos.map((p) => `${p.image},${p.side}`).join('\n')}\n`,
  );
  const workbench = Workbench.init(root);
  await workbench.importFolder(undefined, { annotationsCsv: join(root, 'sides.csv') });
  const embedded = await workbench.embed({ model: modelPath, provider: 'cpu' });
  if (embedded.failed > 0) throw new Error(`${embedded.failed} photos failed to embed`);
  workbench.close();
  return { root, truthByImage };
}

async function runOnCopy(
  root: string,
  truthByImage: Map<string, string>,
  order: 'individuals' | 'pairs',
  errorRate = 0,
  seed = 1,
): Promise<SimulationResult> {
  const copy = mkdtempSync(join(tmpdir(), 'pairx-bench-review-run-'));
  try {
    cpSync(join(root, '.pairx'), join(copy, '.pairx'), { recursive: true });
    const workbench = Workbench.open(copy);
    const truth = new Map<number, string>();
    for (const annotation of workbench.store.annotations.view().annotations)
      truth.set(annotation.id, truthByImage.get(annotation.image)!);
    const groups = new Map<string, number>();
    for (const annotation of workbench.store.annotations.view().annotations) {
      const key = `${truth.get(annotation.id)}|${annotation.side}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const result = await simulateReview(workbench, countLinks(groups.values()), {
      truth,
      order,
      maxDecisions,
      errorRate,
      seed,
      budget,
    });
    workbench.close();
    return result;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

async function bench(label: string, folder: string, photos: Photo[]): Promise<void> {
  const { root, truthByImage } = await buildCatalog(folder, photos);
  try {
    for (const order of queues) {
      for (const errorRate of errorRates) {
        for (let seed = 1; seed <= (errorRate === 0 ? 1 : seedCount); seed++) {
          const result = await runOnCopy(root, truthByImage, order, errorRate, seed);
          const reach = [0.5, 0.8, 0.95].map((share) => decisionsToReach(result.curve, share));
          const share = (links: number) => +(result.totalLinks === 0 ? 1 : links / result.totalLinks).toFixed(3);
          const record = {
            bench: 'review',
            catalog: label,
            photos: photos.length,
            individuals: new Set(photos.map((p) => `${p.name}|${p.side}`)).size,
            links: result.totalLinks,
            order,
            errorRate,
            seed,
            wrongAnswers: result.wrongAnswers,
            decisionsTo50: reach[0],
            decisionsTo80: reach[1],
            decisionsTo95: reach[2],
            decisions: result.curve.length,
            end: result.end,
            final: { linkShare: share(result.final.links), falseLinks: result.final.falseLinks, mixed: result.final.mixed },
            atBudget: result.atBudget && {
              decisions: budget,
              linkShare: share(result.atBudget.links),
              falseLinks: result.atBudget.falseLinks,
              mixed: result.atBudget.mixed,
            },
            kinds: result.kinds,
            nextQuestionMsMedian: +percentile(result.latencies, 0.5).toFixed(1),
            nextQuestionMsP95: +percentile(result.latencies, 0.95).toFixed(1),
          };
          process.stdout.write(`${JSON.stringify(record)}\n`);
          const at = result.atBudget ?? result.final;
          rows.push([
            label,
            String(record.photos),
            String(record.links),
            order,
            `${(errorRate * 100).toFixed(0)} % (seed ${seed})`,
            ...reach.map((r) => (r === null ? 'never' : String(r))),
            `${(share(at.links) * 100).toFixed(1)} % / ${at.mixed} / ${at.falseLinks}`,
            `${(share(result.final.links) * 100).toFixed(1)} % / ${result.final.mixed} / ${result.final.falseLinks} after ${result.curve.length}`,
          ]);
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * A synthetic catalog of `size` unnamed 256-d vectors (the default model's size), five per animal around
 * a centre of their own: the time to build the neighbour graph, then the time from each of a truthful
 * reviewer's decisions to the next question being known.
 */
async function benchScale(size: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'pairx-bench-review-scale-'));
  try {
    const workbench = Workbench.init(root);
    const dim = 256;
    let centre = new Float32Array(dim);
    const fillStart = performance.now();
    const { annotations } = fillSynthetic(workbench.store, {
      count: size,
      dim,
      seed: 11,
      model: 'synthetic-256',
      side: () => 'left',
      keepVectors: false,
      // Called in order: a new animal's centre every fifth vector.
      vector: (i, random) => {
        if (i % 5 === 0) centre = Float32Array.from({ length: dim }, () => gaussian(random));
        return Float32Array.from(centre, (c) => c + 0.8 * gaussian(random));
      },
    });
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const truth = new Map(annotations.map((a, i) => [a.id, Math.floor(i / 5)]));
    let start = performance.now();
    let next = (await workbench.candidates({ limit: 1 })).queue[0];
    const graphSeconds = (performance.now() - start) / 1000;
    const edges = workbench.store.neighbours.edgeCount(workbench.store.embeddings.models()[0].id);
    start = performance.now();
    await workbench.candidates({ limit: 1 });
    const warmQueueMs = performance.now() - start;
    // The pass over the edges is compiled by V8 after a few calls; a reviewer's session is long.
    for (let i = 0; i < 5; i++) await workbench.candidates({ limit: 1 });
    const decideMs: number[] = [];
    const nextMs: number[] = [];
    for (let decision = 0; decision < 60 && next; decision++) {
      start = performance.now();
      workbench.decide(next.a, next.b, truth.get(next.a) === truth.get(next.b) ? 'same' : 'different', { confirmMerge: 'keep-a' });
      const decided = performance.now();
      next = (await workbench.candidates({ limit: 1 })).queue[0];
      decideMs.push(decided - start);
      nextMs.push(performance.now() - decided);
    }
    const total = decideMs.map((d, i) => d + nextMs[i]);
    const record = {
      bench: 'review-scale',
      annotations: size,
      fillSeconds: +fillSeconds.toFixed(1),
      graphBuildSeconds: +graphSeconds.toFixed(1),
      edges,
      warmQueueMs: +warmQueueMs.toFixed(1),
      decideMsMedian: +percentile(decideMs, 0.5).toFixed(1),
      decisionToNextQuestionMsMedian: +percentile(total, 0.5).toFixed(1),
      decisionToNextQuestionMsP95: +percentile(total, 0.95).toFixed(1),
      target: size <= 10_000 ? '<= 50 ms' : '<= 1000 ms',
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
    process.stdout.write(`${JSON.stringify(record)}\n`);
    workbench.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (values.scale) {
  for (const size of values.scale.split(',').map(Number)) await benchScale(size);
  process.exit(0);
}

// held-out by default only where there are individuals the model never saw
const heldOutKnown = Boolean(values.individuals) || cardHeldOut().length > 0;
const sources = values.source ?? (existsSync(NYALA) && heldOutKnown ? ['demo', 'held-out'] : ['demo']);
const sides = values.side === 'each' ? ['left', 'right'] : values.side === 'all' ? [null] : [values.side];
for (const source of sources) {
  const folder = source === 'demo' ? DEMO : NYALA;
  if (!existsSync(folder)) {
    process.stdout.write(`skipped ${source}: ${folder} is absent\n`);
    continue;
  }
  let photos = readPhotos(folder);
  if (source === 'held-out') {
    const held = heldOutNames();
    photos = photos.filter((photo) => held.has(photo.name));
  }
  for (const side of sides) {
    let selected = side === null ? photos : photos.filter((photo) => photo.side === side);
    // Individuals with at least --min-photos photos of this side (a catalog without one-photo animals).
    const count = new Map<string, number>();
    for (const photo of selected) count.set(photo.name, (count.get(photo.name) ?? 0) + 1);
    selected = selected.filter((photo) => count.get(photo.name)! >= Number(values['min-photos']));
    await bench(`${source}${side ? ` ${side}` : ''}`, folder, selected);
  }
}
const header = ['catalog', 'photos', 'links', 'queue', 'wrong answers', '50 %', '80 %', '95 %', `links / mixed / false at ${budget}`, 'links / mixed / false at the end'];
process.stdout.write(
  `\n| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|\n${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`,
);
