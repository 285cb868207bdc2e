import { Command, InvalidArgumentError, Option } from 'commander';
import type { Dispute, SyncSummary, Verdict } from '../../shared/api.ts';
import { initTeamStore } from '../team/admin.ts';
import { CommandExit, EXIT_CANCELLED } from './exit.ts';
import { action, asJob, catalogFolder, defaultReviewer, out, printJson, withWorkbench, type CommonOptions } from './command-kit.ts';

/**
 * Team mode on the command line: `pairx team init <url>` (the store's owner, once per store and after an
 * upgrade), and on a catalog `sync`, `disputes`, `settle` (a lead's answer) and `team` (where the sync
 * stands). Passwords never go on the command line: the URL, PGPASSWORD or ~/.pgpass.
 */

const positiveId = (value: string): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('an annotation id is a positive whole number');
  return number;
};

export function syncLine(summary: SyncSummary): string {
  const held = summary.held > 0 ? `, ${summary.held} held for photos this catalog lacks` : '';
  const disputes = summary.disputes > 0 ? `; ${summary.disputes} dispute(s) open (pairx catalog disputes)` : '; no disputes open';
  return (
    `${summary.cancelled ? 'stopped after pushing to' : 'synced with'} ${summary.server}: pushed ${summary.pushed}, pulled ${summary.pulled} ` +
    `(${summary.applied} into the log${held}), ${summary.changed} annotation(s) changed individual${disputes} (${summary.seconds.toFixed(1)} s)`
  );
}

function disputeText(dispute: Dispute): string {
  const lines = [`${dispute.id}  ${dispute.summary}`];
  for (const answer of dispute.answers)
    lines.push(
      `  #${answer.decisionId} ${answer.verdict.padEnd(9)} ${(answer.reviewer ?? '-').padEnd(12)} ${answer.createdAt}  ` +
        `#${answer.a} ${answer.fileA} – #${answer.b} ${answer.fileB}`,
    );
  if (dispute.pairs.length > 0)
    lines.push(`  settle with: ${dispute.pairs.map((pair) => `pairx catalog settle ${pair.a} ${pair.b} same|different`).join('  or  ')}`);
  return lines.join('\n');
}

export function registerTeamCommands(program: Command): void {
  const team = program.command('team').description('the team store on PostgreSQL that catalogs sync with');
  team
    .command('init <url>')
    .description('create or upgrade the team store in the database the URL names (postgres://owner@host:5432/database)')
    .option('--app-role <role>', 'the reviewers\' database role: may read the store and append to it, nothing else')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (url: string, options: { appRole?: string; json?: boolean }) => {
        const result = await initTeamStore(url, { appRole: options.appRole });
        if (options.json) {
          printJson(result);
          return;
        }
        const schema = result.from === result.to ? `schema ${result.to}, up to date` : `schema ${result.from} → ${result.to}`;
        out(`team store ready at ${result.server} (${schema}; store ${result.storeId})`);
        if (result.appRole) out(`role "${result.appRole}" may read the store and append to it; nothing can change or delete what is there`);
      }),
    );

  const catalog = program.commands.find((command) => command.name() === 'catalog')!;
  const command = (spec: string, description: string) =>
    catalog
      .command(spec)
      .description(description)
      .option('--catalog <folder>', 'catalog folder (default: the catalog at or above the current folder)')
      .option('--json', 'print the result as JSON');

  command('sync', "push this catalog's decisions to the team store and pull the others' (the password: PGPASSWORD, ~/.pgpass or the URL)")
    .option('--server <url>', 'postgres://user@host:5432/database[?sslmode=verify-full] (default: the store this catalog synced with)')
    .option('--reviewer <name>', 'recorded on decisions made here without a name (default: $PAIRX_REVIEWER or the user name)')
    .action(
      action(async (options: CommonOptions & { server?: string; reviewer?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const summary = await asJob(async (controls) =>
            call('team.sync', { server: options.server, reviewer: options.reviewer ?? defaultReviewer() }, controls),
          );
          if (options.json) printJson(summary);
          else out(syncLine(summary));
          if (summary.cancelled) throw new CommandExit(EXIT_CANCELLED, 'sync stopped; run it again to finish');
        });
      }),
    );

  command('disputes', 'disagreements still open: answers both ways, answers that contradict, merges nobody confirmed').action(
    action(async (options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const disputes = await call('team.disputes', {});
        if (options.json) return printJson(disputes);
        if (disputes.length === 0) return out('no disputes open');
        out(disputes.map(disputeText).join('\n\n'));
      });
    }),
  );

  command('settle <a> <b> <verdict>', "a lead's answer on a disputed pair: recorded with the lead's name; the answers it overrules are taken back")
    .option('--reviewer <name>', 'the lead (default: $PAIRX_REVIEWER or the user name)')
    .option('--note <text>', 'why')
    .addOption(new Option('--confirm-merge <keep>', 'when both are named differently: merge, keeping a’s or b’s name').choices(['keep-a', 'keep-b']))
    .action(
      action(async (a: string, b: string, verdict: string, options: CommonOptions & { reviewer?: string; note?: string; confirmMerge?: 'keep-a' | 'keep-b' }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const result = await call('team.settle', {
            a: positiveId(a),
            b: positiveId(b),
            verdict: verdict as Verdict, // checked by the schema in callApi
            reviewer: options.reviewer ?? defaultReviewer(),
            note: options.note,
            confirmMerge: options.confirmMerge,
          });
          if (options.json) return printJson(result);
          if ('conflict' in result)
            throw new CommandExit(2, `${a} is "${result.conflict.nameA}" and ${b} is "${result.conflict.nameB}"; nothing recorded. To merge them, run again with --confirm-merge keep-a or keep-b`);
          out(`settled: #${result.decision.id} ${a} ${result.decision.verdict} ${b} by ${result.decision.reviewer ?? 'no reviewer'}`);
        });
      }),
    );

  command('team', 'where this catalog stands with its team store: server, last sync, not pushed yet, held, disputes').action(
    action(async (options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const status = await call('team.status', {});
        if (options.json) return printJson(status);
        out(
          [
            `server     ${status.server ?? 'none (pairx catalog sync --server postgres://user@host:5432/database)'}`,
            `last sync  ${status.lastSync ? syncLine(status.lastSync) : 'never'}`,
            `to push    ${status.unpushed}`,
            `held       ${status.held}`,
            `disputes   ${status.disputes}`,
          ].join('\n'),
        );
      });
    }),
  );
}
