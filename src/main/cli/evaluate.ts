import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import cliProgress from 'cli-progress';
import { embedPhotos } from '../engine.ts';
import { defaultModelPath } from '../models/default-model.ts';
import { describeKfold, kfoldEstimate, seenInTraining } from '../models/card-estimate.ts';
import { locateModel } from '../models/model-card.ts';
import { reidMetrics, type LabelledEmbedding } from '../pairx/evaluation.ts';
import { fitCalibration, GENERIC_PRIOR, type CalibrationWeights, type Sample } from '../ranking/calibration.ts';
import { loadModel, modelOption, providerOption } from './engine.ts';

/**
 * `pairx evaluate`: rank-1 and mAP of a model on labelled photos, through the engine's own embedding
 * (onnxruntime), the numbers a model card reports.
 */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('rank-1 and mAP of a model on labelled photos (each query against the other photos of its flank side)')
    .argument('<folder>', 'folder of photos with an annotations CSV (image,name[,side])')
    .option('--annotations <file.csv>', 'the CSV (default: <folder>/annotations.csv)')
    .option('--held-out', "only the individuals the model card lists as held out from training")
    .option('--calibrate', "also fit the review queue's prior (probability of one animal given a pair's similarity) on these photos")
    .option('--update-card', 'record the result in the model card under metrics.engine (and calibration, with --calibrate)')
    .option('--json', 'machine-readable output')
    .option('--batch <n>', 'images per inference batch', (v) => Number(v), 16)
    .addOption(modelOption())
    .addOption(providerOption())
    .action(async (folder: string, options) => {
      const model = await loadModel(options);
      const csvPath = resolve(options.annotations ?? join(folder, 'annotations.csv'));
      const rows = parse(await readFile(csvPath), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
      if (rows.length && !('image' in rows[0] && 'name' in rows[0])) {
        throw new Error(`${csvPath}: needs the columns image and name (it has ${Object.keys(rows[0]).join(', ')})`);
      }
      const heldOut = (model.card.training as { heldOutIndividuals?: string[] } | undefined)?.heldOutIndividuals;
      const estimate = kfoldEstimate(model.card);
      if (options.heldOut && !heldOut?.length) {
        throw new Error(
          `the model card of ${model.card.name} lists no held-out individuals` +
            (estimate ? ` (it was trained on all of them; its k-fold figures: ${describeKfold(estimate)})` : ''),
        );
      }
      const selected = rows.filter((r) => r.name && (!options.heldOut || heldOut!.includes(r.name)));
      const base = dirname(csvPath);
      const bar = new cliProgress.SingleBar(
        { format: 'embedding {bar} {value}/{total} photos', stream: process.stderr, noTTYOutput: false },
        cliProgress.Presets.shades_classic,
      );
      if (!options.json) bar.start(selected.length, 0);
      const started = performance.now();
      const paths = selected.map((r) => resolve(base, r.image));
      const embeddings = await embedPhotos(model, paths, options.batch, (done) => {
        if (!options.json) bar.update(done);
      });
      const dim = model.embeddingDim;
      const labelled: LabelledEmbedding[] = selected.map((r, i) => ({
        name: r.name,
        side: r.side || r.viewpoint || null,
        embedding: embeddings.slice(i * dim, (i + 1) * dim),
      }));
      if (!options.json) bar.stop();
      const seconds = (performance.now() - started) / 1000;
      const metrics = reidMetrics(labelled);
      const individuals = new Set(labelled.map((l) => l.name));
      const calibration = options.calibrate ? calibrationPrior(labelled) : undefined;
      const result = {
        model: model.id,
        photos: labelled.length,
        individuals: individuals.size,
        // figures on animals the model was trained on say little about new animals
        individualsSeenInTraining: seenInTraining(model.card, individuals),
        heldOutOnly: Boolean(options.heldOut),
        ...metrics,
        photosPerSecond: labelled.length / seconds,
        evaluatedWith: 'pairx-workbench (onnxruntime-node)',
        cardKfold: estimate ?? null,
        ...(calibration ? { calibration } : {}),
      };
      if (options.updateCard) {
        const location = locateModel(options.model ?? defaultModelPath());
        if (!location.cardPath) throw new Error('the model has no card.json to update');
        const card = JSON.parse(await readFile(location.cardPath, 'utf8'));
        if (calibration) card.calibration = calibration;
        card.metrics = { ...card.metrics, engine: { rank1: metrics.rank1, mAP: metrics.mAP, queries: metrics.queries, heldOutOnly: result.heldOutOnly, evaluatedWith: result.evaluatedWith } };
        await writeFile(location.cardPath, JSON.stringify(card, null, 2) + '\n');
      }
      if (options.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else {
        process.stdout.write(
          `${result.photos} photos of ${result.individuals} individuals: rank-1 ${(100 * metrics.rank1).toFixed(1)}%, mAP ${(100 * metrics.mAP).toFixed(1)}% ` +
            `(${metrics.queries} queries, ${metrics.skipped} without another photo of their side; ${result.photosPerSecond.toFixed(1)} photos/s)\n` +
            (calibration
              ? `review-queue prior: P(one animal) = σ(${calibration.intercept.toFixed(2)} + ${calibration.similarity.toFixed(2)}·similarity) for two single photos\n`
              : ''),
        );
        if (result.individualsSeenInTraining) {
          process.stdout.write(
            `note: ${result.individualsSeenInTraining} of these ${result.individuals} individuals were in the model's training set, ` +
              'so these figures overstate what it does on new animals\n',
          );
        }
        if (estimate) process.stdout.write(`model card, on individuals never seen in training: ${describeKfold(estimate)}\n`);
      }
      await model.release();
    });
}

/**
 * The review queue's prior for a model: a logistic fit of "same individual" on the cosine similarity of
 * every pair of photos of one side. Only the intercept and the similarity weight are learnt from these
 * single-photo pairs; the size and plausibility weights stay at the generic prior, for each catalog's
 * own decisions to fit.
 */
function calibrationPrior(labelled: readonly LabelledEmbedding[]): CalibrationWeights {
  const unit = labelled.map(({ embedding }) => {
    const norm = Math.hypot(...embedding) || 1;
    return embedding.map((v) => v / norm);
  });
  const samples: Sample[] = [];
  for (let i = 0; i < labelled.length; i++)
    for (let j = i + 1; j < labelled.length; j++) {
      const [x, y] = [labelled[i], labelled[j]];
      if (x.side !== null && y.side !== null && x.side !== y.side) continue;
      let similarity = 0;
      for (let d = 0; d < unit[i].length; d++) similarity += unit[i][d] * unit[j][d];
      samples.push({ same: x.name === y.name, similarity, plausibility: null, sizeA: 1, sizeB: 1 });
    }
  const fitted = fitCalibration(samples, GENERIC_PRIOR, 1);
  // Pairs without plausibility cannot tell the intercept from the missing-plausibility term: keep the
  // generic split and give the intercept the rest.
  const intercept = fitted.intercept + fitted.plausibilityMissing - GENERIC_PRIOR.plausibilityMissing;
  return { ...GENERIC_PRIOR, intercept, similarity: fitted.similarity };
}
