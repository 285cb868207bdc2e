import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { ApiArgs, ApiMethod, ApiResult, Progress, Verdict } from '../../shared/api.ts';
import type { MediaRequest } from '../../shared/bridge.ts';
import { callApi, workbenchHandlers } from '../api-handlers.ts';
import { Workbench } from '../workbench.ts';
import { boxText, decisionText, issueLine, progressLine, queueTable, statusText, table } from './format.ts';
import { PairxError } from '../errors.ts';
import { CommandExit, EXIT_CANCELLED, cliFailure, verboseRequested } from './exit.ts';
import { progressView } from './progress.ts';
import { EXPLAIN_LIMITS } from '../../shared/explanation.ts';
import { unfaithfulMessage } from '../../shared/conservation.ts';

interface CommonOptions {
  catalog?: string;
  json?: boolean;
}

/** A picture from the workbench's one media route (the same the windows get), as bytes to write. */
async function pictureBytes(workbench: Workbench, request: MediaRequest): Promise<Uint8Array> {
  const media = await workbench.media(request);
  return 'bytes' in media ? media.bytes : readFileSync(media.file);
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

/**
 * Wraps a command's action: a failure becomes one line on stderr and a non-zero exit code, never a
 * stack trace (unless --verbose or PAIRX_DEBUG asks for one, for what is a bug rather than the user's
 * input). It goes through commander's `error()`, so that under `exitOverride()` (src/main/cli.ts) the
 * exit code travels in the CommanderError that main() turns into the process's exit code.
 */
function action<Args extends unknown[]>(run: (...args: Args) => Promise<void> | void) {
  return async (...args: Args): Promise<void> => {
    try {
      await run(...args);
    } catch (error) {
      const command = args[args.length - 1] as Command;
      const { line, exitCode } = cliFailure(error, verboseRequested());
      // Help after an error is for usage mistakes, which commander reports before any action runs.
      command.showHelpAfterError(false);
      command.error(line, { exitCode });
    }
  };
}

/** The catalog a command works on: --catalog, else the nearest catalog at or above `near`, else `near` itself. */
function catalogFolder(options: CommonOptions, near: string = process.cwd()): string {
  return options.catalog !== undefined ? resolve(options.catalog) : (Workbench.locate(near) ?? resolve(near));
}

async function withWorkbench<T>(folder: string, run: (workbench: Workbench, call: <M extends ApiMethod>(method: M, args: ApiArgs<M>, controls?: { onProgress?: (p: Progress) => void; signal?: AbortSignal }) => Promise<ApiResult<M>>) => Promise<T>): Promise<T> {
  const workbench = Workbench.open(folder);
  const handlers = workbenchHandlers(workbench);
  try {
    return await run(workbench, (method, args, controls) => callApi(handlers, method, args, controls));
  } finally {
    workbench.close();
  }
}

/**
 * Runs a long job with a progress view and Ctrl+C: the first one cancels cleanly (the job stops after
 * the photo or batch in hand, everything done so far stays), a second one quits at once.
 */
async function asJob<T extends { cancelled: boolean }>(run: (controls: { onProgress: (p: Progress) => void; signal: AbortSignal }) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const view = progressView();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_CANCELLED);
    process.stderr.write('\ncancelling… (Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await run({ onProgress: (progress) => view.update(progress), signal: controller.signal });
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
}

function positiveInteger(what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
    return number;
  };
}

const defaultReviewer = (): string | undefined => {
  if (process.env.PAIRX_REVIEWER) return process.env.PAIRX_REVIEWER;
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
};

function printIssues(issues: { file: string; row?: number; message: string }[]): void {
  for (const issue of issues) process.stderr.write(`  ${issueLine(issue)}\n`);
}

/** Adds `pairx catalog …`: everything the workbench does with a catalog, scriptable with --json. */
export function registerCatalogCommands(program: Command): void {
  const catalog = program.command('catalog').description('photo catalogs: import, embed, review candidate pairs, record decisions');
  const command = (spec: string, description: string) =>
    catalog
      .command(spec)
      .description(description)
      .option('--catalog <folder>', 'catalog folder (default: the catalog at or above the current folder)')
      .option('--json', 'print the result as JSON');

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
    .option('--annotations <file.csv>', 'CSV with image and optionally name, side|viewpoint, x,y,w,h, theta')
    .action(
      action(async (folder: string, options: CommonOptions & { annotations?: string }) => {
        await withWorkbench(catalogFolder(options, folder), async (_, call) => {
          const summary = await asJob((controls) => call('catalog.import', { folder: resolve(folder), annotationsCsv: options.annotations }, controls));
          if (options.json) printJson(summary);
          else {
            printIssues(summary.issues);
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

  command('export', 'write annotations.csv (current names) and decisions.csv (the whole log)')
    .option('--out <folder>', 'where to write (default: <catalog>/export)')
    .action(
      action(async (options: CommonOptions & { out?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('catalog.export', { outDir: options.out === undefined ? undefined : resolve(options.out) });
          out(options.json ? JSON.stringify(result, null, 2) : `wrote ${result.annotationsCsv} (${result.annotations} annotations) and ${result.decisionsCsv} (${result.decisions} log entries)`);
        });
      }),
    );

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
