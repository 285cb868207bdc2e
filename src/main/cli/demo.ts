import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Workbench } from '../workbench.ts';
import { modelOption, providerOption } from './engine.ts';
import { ExplainSettings } from '../../shared/explanation.ts';
import { describeKfold, kfoldEstimate, seenInTraining } from '../models/card-estimate.ts';

const DEMO = fileURLToPath(new URL('../../../resources/demo', import.meta.url));

/**
 * The main job on the bundled defaults, headless: a catalog from the demo photos, import, embedding with
 * the default model, candidate pairs, PAIR-X pictures of the top pairs, and a short report.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole job on the bundled demo catalog: import, embed, candidates, explanations')
    .option('--out <folder>', 'where the demo catalog and pictures go', 'pairx-demo')
    .option('--pairs <n>', 'top candidate pairs to explain', (v) => Number(v), 5)
    .addOption(modelOption())
    .addOption(providerOption())
    .action(async (options) => {
      const started = performance.now();
      const out = resolve(options.out);
      const folder = join(out, 'catalog');
      const say = (line: string) => process.stdout.write(`${line}\n`);
      if (!existsSync(join(folder, 'photos'))) {
        mkdirSync(folder, { recursive: true });
        cpSync(join(DEMO, 'photos'), join(folder, 'photos'), { recursive: true });
        cpSync(join(DEMO, 'annotations.csv'), join(folder, 'annotations.csv'));
      }
      const workbench = existsSync(join(folder, '.pairx')) ? Workbench.open(folder) : Workbench.init(folder);
      try {
        if (options.model) await workbench.models.select((await workbench.models.add(options.model)).path);
        if (options.provider) workbench.models.update({ provider: options.provider });
        const model = await workbench.models.active();
        say(`catalog      ${folder}`);
        say(`model        ${model.id} (${model.card.input.width}×${model.card.input.height}, ${model.embeddingDim}-d, layer ${model.defaultLayer})`);

        const imported = await workbench.importFolder(folder, { annotationsCsv: join(folder, 'annotations.csv') });
        for (const issue of imported.issues ?? []) say(`  issue: ${issue.file}${issue.row ? ` row ${issue.row}` : ''}: ${issue.message}`);
        const embedStart = performance.now();
        const embedded = await workbench.embed({});
        const embedSeconds = (performance.now() - embedStart) / 1000;
        const status = workbench.status();
        say(`photos       ${status.images} images, ${status.annotations} annotations, ${status.individuals} individuals`);
        say(`embedded     ${embedded.embedded} new in ${embedSeconds.toFixed(1)} s (${status.embedded.map((e) => `${e.embedded} with ${e.model}`).join(', ')})`);

        // Rank-1 on the demo photos: is each annotation's most similar other photo (same flank) the same animal?
        const all = await workbench.candidates({ order: 'pairs', k: 1, excludeSameName: false, excludeDecided: false });
        const annotations = new Map(workbench.list({ limit: 100000 }).annotations.map((a) => [a.id, a]));
        const scored = all.perAnnotation.filter((p) => p.candidates.length > 0);
        const hits = scored.filter((p) => annotations.get(p.annotationId)?.name === annotations.get(p.candidates[0].annotationId)?.name);
        say(`rank-1       ${hits.length}/${scored.length} (${((100 * hits.length) / Math.max(1, scored.length)).toFixed(0)}%) of annotations have the same individual as their top candidate`);
        // a rank-1 on animals the model was trained on says little about new animals: say so, with the figure that does
        const names = new Set([...annotations.values()].map((a) => a.name).filter((n): n is string => Boolean(n)));
        const seen = seenInTraining(model.card, names);
        if (seen) {
          const estimate = kfoldEstimate(model.card);
          say(
            `  note: the model was trained on ${seen} of these ${names.size} individuals, so this overstates it on new animals` +
              (estimate ? `; on individuals it never saw: ${describeKfold(estimate)}` : ''),
          );
        }

        const queue = (await workbench.candidates({ order: 'pairs', k: 5, excludeSameName: false })).queue.slice(0, options.pairs);
        const pictures = join(out, 'explanations');
        mkdirSync(pictures, { recursive: true });
        say(`top pairs    (similarity, plausibility, truth) → ${pictures}`);
        for (const pair of queue) {
          const settings = ExplainSettings.parse({});
          const explanation = await workbench.explainPair({ a: pair.a, b: pair.b, ...settings });
          const file = join(pictures, `pair-${pair.a}-${pair.b}.png`);
          const picture = await workbench.media({ kind: 'export', a: pair.a, b: pair.b, ...settings });
          if ('bytes' in picture) await writeFile(file, picture.bytes);
          const [a, b] = [annotations.get(pair.a)!, annotations.get(pair.b)!];
          const truth = a.name && a.name === b.name ? 'same individual' : 'different individuals';
          const p = explanation.plausibility;
          say(
            `  ${a.image} ↔ ${b.image}: ${pair.similarity.toFixed(3)}, ${p ? `${(100 * p.inlierRatio).toFixed(0)}% inliers` : 'n/a'}, ${truth} (${explanation.timings.totalMs.toFixed(0)} ms to matches)`,
          );
        }
        say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        workbench.close();
      }
    });
}
