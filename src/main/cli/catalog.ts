import { Command, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXPORT_FORMATS, SAMPLING_DESIGNS, type ExportFormat, type Verdict } from '../../shared/api.ts';
import type { MediaRequest } from '../../shared/bridge.ts';
import { Workbench } from '../workbench.ts';
import { boxText, decisionText, progressLine, queueTable, statusText, table } from './format.ts';
import {
  action,
  asJob,
  catalogFolder,
  catalogSubcommands,
  defaultReviewer,
  out,
  fraction,
  positiveInteger,
  printIssues,
  printJson,
  withWorkbench,
  type CommonOptions,
} from './command-kit.ts';
import { registerIdentityCommands } from './identity-commands.ts';
import { PairxError } from '../errors.ts';
import { CommandExit, EXIT_CANCELLED } from './exit.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';
import { unfaithfulMessage } from '../../shared/conservation.ts';

/** A picture from the workbench's one media route (the same the windows get), as bytes to write. */
async function pictureBytes(workbench: Workbench, request: MediaRequest): Promise<Uint8Array> {
  const media = await workbench.media(request);
  return 'bytes' in media ? media.bytes : readFileSync(media.file);
}

/** Adds `pairx catalog …`: everything the workbench does with a catalog, scriptable with --json. */
export function registerCatalogCommands(program: Command): void {
  const catalog = program.command('catalog').description('photo catalogs: import, embed, review candidate pairs, record decisions');
  const command = catalogSubcommands(catalog);

  command('init <folder>', 'make a folder a catalog (creates <folder>/.pairx/catalog.sqlite)').action(
    action((folder: string, options: CommonOptions) => {
      mkdirSync(folder, { recursive: true });
      const workbench = Workbench.init(folder);
      const status = workbench.status();
      workbench.close();
      if (options.json) printJson(status);
      else out(`initialised a catalog in ${status.folder}; next: pairx catalog import ${folder}`);
    }),
  );

  command('import <folder>', 'import photos at or below a folder inside the catalog (again: only new or changed files)')
    .option(
      '--annotations <file>',
      'annotations, recognised by content: CSV (image[,name,side|viewpoint,x,y,w,h,theta]), COCO JSON from Wildbook/WBIA, wildlife-datasets metadata CSV',
    )
    .option('--detections <md.json>', "MegaDetector batch output (format 1.0-1.6): each animal box becomes an annotation; with --annotations, a photo's name goes to its one animal box")
    .option('--threshold <t>', "confidence from which an animal detection counts (default: the file's typical_detection_threshold, else 0.2)", fraction('--threshold'))
    .action(
      action(async (folder: string, options: CommonOptions & { annotations?: string; detections?: string; threshold?: number }) => {
        await withWorkbench(catalogFolder(options, folder), async (_, call) => {
          const summary = await asJob((controls) =>
            call(
              'catalog.import',
              {
                folder: resolve(folder),
                annotations: options.annotations,
                detections: options.detections === undefined ? undefined : resolve(options.detections),
                threshold: options.threshold,
              },
              controls,
            ),
          );
          if (options.json) printJson(summary);
          else {
            printIssues(summary.issues);
            const found = summary.detections;
            if (found) {
              out(
                `${found.file} (MegaDetector ${found.formatVersion}, threshold ${found.threshold}): ${found.animalBoxes} animal boxes added; ` +
                  `${found.belowThreshold} below the threshold and ${found.otherCategories} persons or vehicles left out; ${found.failed} photos it failed on`,
              );
              if (found.severalAnimals.length > 0) out(`${found.severalAnimals.length} photos with several animals (each box an annotation)`);
              if (found.noAnimal.length > 0) {
                out(`${found.noAnimal.length} photos with no animal (imported with no annotation):`);
                for (const path of found.noAnimal) out(`  ${path}`);
              }
            }
            out(
              `${summary.cancelled ? 'cancelled after' : 'imported'} ${summary.scanned} files: ${summary.added} new, ${summary.unchanged} unchanged, ` +
                `${summary.moved} moved, ${summary.duplicates} duplicates, ${summary.failed} unreadable; ` +
                `annotations ${summary.annotationsAdded} added, ${summary.annotationsUpdated} updated; ${summary.issues.length} issues`,
            );
          }
          if (summary.cancelled) throw new CommandExit(EXIT_CANCELLED, 'import cancelled; run the same command to resume');
        });
      }),
    );

  command('list', 'list annotations with their photo, name and side')
    .option('--individual <name>', 'only this individual')
    .option('--limit <n>', 'at most this many', positiveInteger('--limit'), 1000)
    .option('--offset <n>', 'skip this many', (value) => Number(value), 0)
    .action(
      action(async (options: CommonOptions & { individual?: string; limit: number; offset: number }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const page = await call('catalog.list', { individual: options.individual, limit: options.limit, offset: options.offset });
          if (options.json) return printJson(page);
          out(table(['id', 'image', 'name', 'side', 'box'], page.annotations.map((a) => [a.id, a.image, a.name ?? '-', a.side ?? '-', boxText(a)])));
          if (page.total > page.annotations.length) out(`(${page.annotations.length} of ${page.total}; see --offset, --limit)`);
        });
      }),
    );

  command('photos', 'list photos with how many animals are marked on each')
    .addOption(new Option('--animals <which>', 'only photos with no animal marked (none) or with several').choices(['any', 'none', 'several']).default('any'))
    .option('--limit <n>', 'at most this many', positiveInteger('--limit'), 1000)
    .option('--offset <n>', 'skip this many', (value) => Number(value), 0)
    .action(
      action(async (options: CommonOptions & { animals: 'any' | 'none' | 'several'; limit: number; offset: number }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const page = await call('catalog.photos', { animals: options.animals, limit: options.limit, offset: options.offset });
          if (options.json) return printJson(page);
          out(table(['id', 'photo', 'annotations', 'boxes'], page.photos.map((p) => [p.id, p.path, p.annotations, p.boxes])));
          if (page.total > page.photos.length) out(`(${page.photos.length} of ${page.total}; see --offset, --limit)`);
        });
      }),
    );

  command('evaluate', "rank-1 and mAP of the catalog's model over its named annotations (each against the others of its side)")
    .option('--model <name>', 'model whose vectors to use (default: the one embedded last)')
    .action(
      action(async (options: CommonOptions & { model?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('catalog.evaluate', { model: options.model });
          if (options.json) return printJson(result);
          const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
          out(
            `${result.annotations} named annotations of ${result.individuals} individuals: rank-1 ${percent(result.rank1)}, mAP ${percent(result.mAP)} ` +
              `(${result.queries} queries, ${result.skipped} without another of their individual and side) by ${result.model}`,
          );
          if (result.notEmbedded > 0) out(`note: ${result.notEmbedded} named annotations have no vector yet; run \`pairx catalog embed\` first`);
          if (result.individualsSeenInTraining)
            out(`note: the model was trained on ${result.individualsSeenInTraining} of these ${result.individuals} individuals, so these figures overstate what it does on new animals`);
        });
      }),
    );

  command('status', 'counts: images, annotations, embedded, decided; unfinished jobs').action(
    action(async (options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const status = await call('catalog.status', {});
        out(options.json ? JSON.stringify(status, null, 2) : statusText(status));
      });
    }),
  );

  command('embed', 'compute a vector per annotation with the re-ID model (resumes where it stopped)')
    .option('--model <name>', 'model to use (default: the default model)')
    .option('--provider <name>', 'execution provider: auto, cpu, cuda, dml, coreml')
    .option('--batch <n>', 'annotations per batch', positiveInteger('--batch'), 16)
    .action(
      action(async (options: CommonOptions & { model?: string; provider?: string; batch: number }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const summary = await asJob((controls) => call('catalog.embed', { model: options.model, provider: options.provider, batchSize: options.batch }, controls));
          if (options.json) printJson(summary);
          else {
            printIssues(summary.issues);
            out(`${summary.embedded} embedded, ${summary.skipped} already embedded, ${summary.failed} failed with ${summary.model}`);
          }
          if (summary.cancelled) throw new CommandExit(EXIT_CANCELLED, 'embedding cancelled; run the same command to resume');
        });
      }),
    );

  command(
    'candidates',
    'the review queue in the order it is reviewed: pairs of individuals that could still be one animal',
  )
    .option('--k <n>', 'candidates per annotation (with --pairs)', positiveInteger('--k'), 10)
    .option(
      '--annotation <id>',
      'only questions about this annotation’s individual',
      positiveInteger('--annotation'),
    )
    .option('--model <name>', 'model whose vectors to use (default: the one embedded last)')
    .option('--limit <n>', 'longest queue to print', positiveInteger('--limit'))
    .option('--pairs', 'the plain pair queue: each annotation’s k nearest annotations, pair by pair')
    .option('--duplicate-names', 'also ask whether two differently named individuals are one animal')
    .option('--any-side', 'also pair annotations of different sides')
    .option('--include-decided', 'also pairs already decided (with --pairs)')
    .option('--include-same-name', 'also pairs already named as one individual (with --pairs)')
    .option('--include-same-image', 'also two annotations of one photo')
    .addOption(
      new Option('--rerank <by>', 'order of the queue')
        .choices(['probability', 'similarity', 'plausibility'])
        .default('probability'),
    )
    .action(
      action(
        async (
          options: CommonOptions & {
            k: number;
            annotation?: number;
            model?: string;
            limit?: number;
            pairs?: boolean;
            duplicateNames?: boolean;
            anySide?: boolean;
            includeDecided?: boolean;
            includeSameName?: boolean;
            includeSameImage?: boolean;
            rerank: 'probability' | 'similarity' | 'plausibility';
          },
        ) => {
          await withWorkbench(catalogFolder(options), async (_, call) => {
            const result = await call('pairs.candidates', {
              order: options.pairs ? 'pairs' : 'individuals',
              k: options.k,
              annotationId: options.annotation,
              model: options.model,
              limit: options.limit,
              duplicateNames: options.duplicateNames,
              sameSide: !options.anySide,
              excludeDecided: !options.includeDecided,
              excludeSameName: !options.includeSameName,
              excludeSameImage: !options.includeSameImage,
              rerank: options.rerank,
            });
            if (options.json) return printJson(result);
            const ids = [...new Set(result.queue.flatMap((pair) => [pair.a, pair.b]))];
            const annotations = new Map(
              (await call('catalog.list', { ids })).annotations.map((a) => [a.id, a]),
            );
            out(queueTable(result.queue, annotations));
            out(progressLine(result.progress, result.model));
            out('decide with: pairx catalog decide <a> <b> same|different|unsure');
          });
        },
      ),
    );

  command('strip <annotation>', 'one annotation against its most probable individuals (best pair each)')
    .option('--limit <n>', 'candidates to show', positiveInteger('--limit'), 8)
    .option('--model <name>', 'model whose vectors to use (default: the one embedded last)')
    .action(
      action(async (annotation: string, options: CommonOptions & { limit: number; model?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('review.strip', {
            annotationId: positiveInteger('annotation id')(annotation),
            limit: options.limit,
            model: options.model,
          });
          if (options.json) return printJson(result);
          const ids = [...new Set([...result.members, ...result.candidates.map((pair) => pair.b)])];
          const annotations = new Map(
            (await call('catalog.list', { ids })).annotations.map((a) => [a.id, a]),
          );
          out(
            `${result.individual ? `"${result.individual.name}"` : `annotation ${result.annotationId} alone`}: ${result.members.length} annotation(s) ${result.members.join(' ')}`,
          );
          out(queueTable(result.candidates, annotations));
          out(
            `"same": pairx catalog decide <a> <b> same; "none of these": a "different" decision on each pair`,
          );
        });
      }),
    );

  command('decide <a> <b> <verdict>', 'record a decision on two annotations: same, different or unsure')
    .option('--note <text>', 'a note kept with the decision')
    .option('--reviewer <name>', 'who decides (default: $PAIRX_REVIEWER or the user name)')
    .addOption(new Option('--confirm-merge <keep>', 'when both are named differently: merge, keeping a’s or b’s name').choices(['keep-a', 'keep-b']))
    .action(
      action(async (a: string, b: string, verdict: string, options: CommonOptions & { note?: string; reviewer?: string; confirmMerge?: 'keep-a' | 'keep-b' }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('decisions.decide', {
            a: positiveInteger('annotation id')(a),
            b: positiveInteger('annotation id')(b),
            verdict: verdict as Verdict, // checked by the schema in callApi
            note: options.note,
            reviewer: options.reviewer ?? defaultReviewer(),
            confirmMerge: options.confirmMerge,
          });
          if ('conflict' in result) {
            if (options.json) printJson(result);
            const { nameA, nameB } = result.conflict;
            throw new PairxError(
              'conflict',
              `${a} is "${nameA}" and ${b} is "${nameB}"; nothing recorded. To merge them, run again with --confirm-merge keep-a (keeps "${nameA}") or keep-b (keeps "${nameB}")`,
            );
          }
          if (options.json) return printJson(result);
          if (result.warning) process.stderr.write(`pairx: warning: ${result.warning}\n`);
          out(`recorded ${decisionText(result.decision)}${result.individual ? `; both are now "${result.individual.name}"` : ''}`);
        });
      }),
    );

  command('undo', 'take back the latest decision still in force (the log keeps both entries)')
    .option('--reviewer <name>', 'who undoes (default: $PAIRX_REVIEWER or the user name)')
    .action(
      action(async (options: CommonOptions & { reviewer?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('decisions.undo', { reviewer: options.reviewer ?? defaultReviewer() });
          out(options.json ? JSON.stringify(result, null, 2) : `undid ${decisionText(result.undone)} (log entry #${result.entry.id})`);
        });
      }),
    );

  command('export', 'write the catalog: csv (annotations.csv + decisions.csv), camtrap-dp (a Camtrap DP 1.0 package) or wildbook (bulk-import sheet)')
    .addOption(new Option('--format <format>', 'what to write').choices([...EXPORT_FORMATS]).default('csv'))
    .option('--out <folder>', 'where to write (default: <catalog>/export, or <catalog>/export/<format>)')
    .option('--deployments <file.csv>', 'camtrap-dp, wildbook: deploymentID, folder, latitude, longitude[, locationID, locationName, utcOffset] per camera')
    .option('--utc-offset <+hh:mm>', "camtrap-dp: the cameras' clock zone, for capture times without one")
    .option('--media-url <address>', 'camtrap-dp: where the photos are published (default: copied into the package)')
    .action(
      action(async (options: CommonOptions & { format: ExportFormat; out?: string; deployments?: string; utcOffset?: string; mediaUrl?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('catalog.export', {
            format: options.format,
            outDir: options.out === undefined ? undefined : resolve(options.out),
            deployments: options.deployments === undefined ? undefined : resolve(options.deployments),
            utcOffset: options.utcOffset,
            mediaUrl: options.mediaUrl,
          });
          if (options.json) return printJson(result);
          if (result.format === 'csv') {
            return out(`wrote ${result.annotationsCsv} (${result.annotations} annotations) and ${result.decisionsCsv} (${result.decisions} log entries)`);
          }
          const what = result.format === 'camtrap-dp' ? 'a Camtrap DP 1.0 package (checked against the standard)' : "Wildbook's bulk-import sheet";
          out(`wrote ${what} to ${result.folder}: ${result.annotations} annotations of ${result.media} photos, ${result.deployments} deployment(s)`);
          for (const file of result.files) out(`  ${file}`);
          for (const note of result.notes ?? []) out(note);
        });
      }),
    );

  command('settings', "show or set the catalog's settings: reviewer, and what publishing needs (species, project)")
    .option('--reviewer <name>', 'who reviews (recorded with decisions; a package contributor)')
    .option('--genus <Genus>', 'the animals\' genus, capitalised (Tragelaphus); "" clears it')
    .option('--specific-epithet <epithet>', 'the specific epithet, lower case (angasii)')
    .option('--project-title <title>', "Camtrap DP's project title (default: the catalog folder's name)")
    .addOption(new Option('--sampling-design <design>', 'Camtrap DP project.samplingDesign').choices([...SAMPLING_DESIGNS]))
    .option('--capture-method <methods>', 'Camtrap DP project.captureMethod: activityDetection and/or timeLapse, comma-separated')
    .action(
      action(
        async (
          options: CommonOptions & { reviewer?: string; genus?: string; specificEpithet?: string; projectTitle?: string; samplingDesign?: (typeof SAMPLING_DESIGNS)[number]; captureMethod?: string },
        ) => {
          await withWorkbench(catalogFolder(options), async (_, call) => {
            const result = await call('settings.set', {
              reviewer: options.reviewer,
              genus: options.genus,
              specificEpithet: options.specificEpithet,
              projectTitle: options.projectTitle,
              samplingDesign: options.samplingDesign,
              // Checked by the schema in callApi.
              captureMethod: options.captureMethod?.split(',').map((method) => method.trim()) as ('activityDetection' | 'timeLapse')[] | undefined,
            });
            if (options.json) return printJson(result);
            const publishing = result.publishing;
            out(
              table(
                ['setting', 'value'],
                [
                  ['reviewer', result.reviewer ?? '-'],
                  ['provider', result.provider],
                  ['genus', publishing?.genus ?? '-'],
                  ['specific epithet', publishing?.specificEpithet ?? '-'],
                  ['project title', publishing?.projectTitle ?? '-'],
                  ['sampling design', publishing?.samplingDesign ?? '-'],
                  ['capture method', publishing?.captureMethod?.join(', ') ?? '-'],
                ],
              ),
            );
          });
        },
      ),
    );

  registerIdentityCommands(command);

  command('individuals', 'list individuals with their annotations').action(
    action(async (options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const individuals = await call('individuals.list', {});
        if (options.json) return printJson(individuals);
        out(table(['name', 'annotations', 'ids'], individuals.map((i) => [i.name, i.annotations.length, i.annotations.map((a) => a.id).join(' ')])));
      });
    }),
  );

  command('rename <old> <new>', 'rename an individual')
    .option('--reviewer <name>', 'who renames (default: $PAIRX_REVIEWER or the user name)')
    .action(
      action(async (from: string, to: string, options: CommonOptions & { reviewer?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('individuals.rename', { from, to, reviewer: options.reviewer ?? defaultReviewer() });
          out(options.json ? JSON.stringify(result, null, 2) : `renamed "${from}" to "${result.name}"`);
        });
      }),
    );

  command('explain <a> <b>', 'PAIR-X explanation of two annotations with the active model (picture in the reference layout)')
    .option('--layer <key>', "module key or tensor name (default: the model card's)")
    .option('--k-lines <n>', 'matches drawn as lines', positiveInteger('--k-lines'), EXPLAIN_LIMITS.kLines.default)
    .option('--k-colors <n>', 'matches with pixel maps', positiveInteger('--k-colors'), EXPLAIN_LIMITS.kColors.default)
    .option('--out <file.png>', 'where to write the picture', 'explanation.png')
    .action(
      action(async (a: string, b: string, options: CommonOptions & { layer?: string; kLines: number; kColors: number; out: string }) => {
        await withWorkbench(catalogFolder(options), async (workbench, call) => {
          const args = { a: Number(a), b: Number(b), layer: options.layer, kLines: options.kLines, kColors: options.kColors };
          const matches = await call('pairs.explain', args);
          writeFileSync(options.out, await pictureBytes(workbench, { kind: 'export', ...args }));
          // The picture computed the pixel maps; their payload carries the guard over every pass.
          const { conservation } = await call('pairs.pixels', args);
          if (!conservation.faithful)
            process.stderr.write(`pairx: warning: ${unfaithfulMessage(matches.layer.key, conservation.worst, conservation.suggestedLayer)}\n`);
          const p = matches.plausibility;
          if (options.json) printJson({ ...matches, conservation, picture: options.out });
          else
            out(
              `similarity ${matches.similarity.toFixed(4)}, layer ${matches.layer.key}, ${matches.matches.length} matches, ` +
                `plausibility ${p ? `${(100 * p.inlierRatio).toFixed(0)}% inliers` : 'n/a'}, ${matches.provider} → ${options.out}`,
            );
        });
      }),
    );

  command('score', 'compute PAIR-X plausibility for the top pairs of the review queue (for --rerank plausibility)')
    .option('--limit <n>', 'pairs to score', positiveInteger('--limit'), 50)
    .option('--layer <key>', "module key or tensor name (default: the model card's)")
    .action(
      action(async (options: CommonOptions & { limit: number; layer?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const { queue } = await call('pairs.candidates', { limit: options.limit });
          const scored = [];
          for (const [i, pair] of queue.entries()) {
            const matches = await call('pairs.explain', { a: pair.a, b: pair.b, layer: options.layer, kLines: EXPLAIN_LIMITS.kLines.default, kColors: 0 });
            scored.push({ a: pair.a, b: pair.b, similarity: pair.similarity, plausibility: matches.plausibility?.inlierRatio ?? null });
            if (!options.json && process.stderr.isTTY) process.stderr.write(`\rscored ${i + 1}/${queue.length}`);
          }
          if (!options.json && process.stderr.isTTY) process.stderr.write('\n');
          if (options.json) printJson(scored);
          else out(`scored ${scored.length} pairs; see: pairx catalog candidates --rerank plausibility`);
        });
      }),
    );
}
