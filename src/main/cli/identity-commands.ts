import { InvalidArgumentError } from 'commander';
import { action, catalogFolder, defaultReviewer, out, positiveInteger, printJson, withWorkbench, type CommandFactory, type CommonOptions } from './command-kit.ts';
import { annotationText, decisionText, table } from './format.ts';

const percent = (p: number | null): string => (p === null ? '-' : p < 0.01 ? '<1 %' : p > 0.99 ? '>99 %' : `${Math.round(100 * p)} %`);
const signed = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);

function accuracyOption(value: string): { reviewer: string; accuracy: number | null } {
  const match = /^(.*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError('give NAME=ACCURACY (e.g. ana=0.9), or NAME= to estimate it again');
  const accuracy = match[2].trim() === '' ? null : Number(match[2]);
  if (accuracy !== null && !(accuracy > 0 && accuracy < 1)) throw new InvalidArgumentError(`${match[2]} is not an accuracy between 0 and 1`);
  return { reviewer: match[1].trim(), accuracy };
}

/**
 * The commands of the evidence model: one individual at a glance, splitting a photo off, the reviewers'
 * accuracies, and why an annotation is where it is.
 */
export function registerIdentityCommands(command: CommandFactory): void {
  command('individual <name>', 'one individual: how strongly the answers and the model hold each photo to the rest, the weakest marked').action(
    action(async (name: string, options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const detail = await call('individuals.get', { name });
        if (options.json) return printJson(detail);
        const ids = detail.members.map((member) => member.annotationId);
        const annotations = new Map((await call('catalog.list', { ids, limit: ids.length })).annotations.map((a) => [a.id, a]));
        out(`"${detail.individual.name}"${detail.named ? ' (named by a person)' : ''}: ${detail.members.length} photo(s)`);
        out(
          table(
            ['', 'photo', 'held by', 'answers', 'model', 'closest member'],
            detail.members.map((member) => [
              member.annotationId === detail.weakest ? '▸' : ' ',
              annotationText(annotations.get(member.annotationId), member.annotationId),
              member.givenByPerson ? 'named by a person' : percent(member.support),
              `${member.answers.length} (${signed(member.human)})`,
              signed(member.model),
              member.closest ? `#${member.closest.annotationId} (${member.closest.similarity.toFixed(3)})` : '-',
            ]),
          ),
        );
        if (detail.weakest !== null)
          out(`▸ the weakest; compare: pairx catalog explain ${detail.weakest} <member>; split off: pairx catalog split ${detail.weakest}`);
      });
    }),
  );

  command('split <annotation>', 'split a photo off its individual: a "different" against each other member, one batch (one undo)')
    .option('--note <text>', 'a note kept with the decisions')
    .option('--reviewer <name>', 'who decides (default: $PAIRX_REVIEWER or the user name)')
    .action(
      action(async (annotation: string, options: CommonOptions & { note?: string; reviewer?: string }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const annotationId = positiveInteger('annotation id')(annotation);
          const result = await call('decisions.split', { annotationId, note: options.note, reviewer: options.reviewer ?? defaultReviewer() });
          if (options.json) return printJson(result);
          const [after] = (await call('catalog.list', { ids: [annotationId] })).annotations;
          out(`recorded ${result.decisions.length} "different" decision(s); #${annotationId} is now ${after?.name ? `in "${after.name}"` : 'on its own'}`);
        });
      }),
    );

  command('reviewers', 'each reviewer’s answers, how many the evidence overturned, and the accuracy their answers weigh with')
    .option('--set <name=accuracy>', 'set a reviewer’s accuracy (NAME= to estimate it from the answers again)', accuracyOption)
    .action(
      action(async (options: CommonOptions & { set?: { reviewer: string; accuracy: number | null } }) => {
        await withWorkbench(catalogFolder(options), async (_, call) => {
          const reviewers = options.set
            ? await call('reviewers.set', { reviewer: options.set.reviewer === '-' ? null : options.set.reviewer, accuracy: options.set.accuracy })
            : await call('reviewers.list', {});
          if (options.json) return printJson(reviewers);
          out(
            table(
              ['reviewer', 'answers', 'overturned', 'estimated', 'set', 'in use', 'weight'],
              reviewers.map((r) => [
                r.reviewer ?? '(none)',
                r.answers,
                r.overturned,
                r.estimate.toFixed(3),
                r.set === null ? '-' : r.set.toFixed(3),
                r.inUse.toFixed(3),
                Math.log(r.inUse / (1 - r.inUse)).toFixed(2),
              ]),
            ),
          );
        });
      }),
    );

  command('why <annotation>', 'why an annotation is in its individual: the answers and the model now, and each change with its decision').action(
    action(async (annotation: string, options: CommonOptions) => {
      await withWorkbench(catalogFolder(options), async (_, call) => {
        const why = await call('annotations.why', { annotationId: positiveInteger('annotation id')(annotation) });
        if (options.json) return printJson(why);
        out(`#${why.annotationId} is ${why.individual ? `in "${why.individual.name}"` : 'on its own'}${why.givenByPerson ? ' (named so by a person)' : ''}`);
        if (why.membership)
          out(`held there at ${percent(why.membership.support)}: answers ${signed(why.membership.human)}, model ${signed(why.membership.model)} (log-odds)`);
        if (why.answers.length > 0) {
          out('answers in force:');
          for (const answer of why.answers)
            out(`  #${answer.decisionId} "${answer.verdict}" with #${answer.other}${answer.otherIndividual ? ` ("${answer.otherIndividual}")` : ''} by ${answer.reviewer ?? 'no reviewer named'} (weight ${answer.weight.toFixed(2)})`);
        }
        if (why.history.length > 0) {
          out('history:');
          for (const change of why.history) {
            const cause = change.decision
              ? `${decisionText(change.decision)}${change.decision.reviewer ? ` by ${change.decision.reviewer}` : ''}${change.detail ? ` (${change.detail})` : ''}`
              : `${change.cause}${change.detail ? `: ${change.detail}` : ''}`;
            out(`  ${change.at ?? ''} ${cause}: ${change.before ?? 'on its own'} → ${change.after ?? 'on its own'}`);
          }
        }
      });
    }),
  );
}
