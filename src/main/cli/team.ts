import type { Command } from 'commander';
import type { Dispute, SyncSummary } from '../../shared/api.ts';
import { initTeamStore } from '../team/admin.ts';
import { CommandExit, EXIT_CANCELLED } from './exit.ts';
import { action, asJob, catalogFolder, catalogSubcommands, defaultReviewer, out, printJson, withWorkbench, type CommonOptions } from './command-kit.ts';

/**
 * Team mode on the command line: `pairx team init <url>` (the store's owner, once per store and after an
 * upgrade), and on a catalog `sync`, `disputes` and `team` (where the sync stands). A lead answers a
 * dispute with `pairx catalog decide` under the lead's name. Passwords never go on the command line: the
 * URL, PGPASSWORD or ~/.pgpass.
 */

/** Said where answers' disagreements could not be looked for. */
const UNCHECKED = 'answers that disagree are found by the review queue, which needs the photos embedded: pairx catalog embed';

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
    lines.push(`  answer with: ${dispute.pairs.map((pair) => `pairx catalog decide ${pair.a} ${pair.b} same|different`).join('  or  ')}`);
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
  const command = catalogSubcommands(catalog);

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

  command('disputes', "what the team's log leaves open: answers the evidence has not settled, names given twice, renames refused").action(
    action(async (options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const disputes = await call('team.disputes', {});
        if (options.json) return printJson(disputes);
        out(disputes.length === 0 ? 'no disputes open' : disputes.map(disputeText).join('\n\n'));
        if (!(await call('team.status', {})).answersChecked) out(UNCHECKED);
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
            `disputes   ${status.disputes}${status.answersChecked ? '' : ` (${UNCHECKED})`}`,
          ].join('\n'),
        );
      });
    }),
  );
}
