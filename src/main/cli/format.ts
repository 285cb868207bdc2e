import type { Annotation, CandidatePair, CatalogStatus, Decision, Issue, ReviewProgress } from '../../shared/api.ts';

/** `file:row: message`, the form editors and terminals turn into links. */
export const issueLine = (issue: Issue): string => `${issue.file}${issue.row === undefined ? '' : `:${issue.row}`}: ${issue.message}`;

/** Left-aligned columns, sized to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

export const boxText = (annotation: Annotation): string =>
  annotation.box === null
    ? 'whole'
    : `${[annotation.box.x, annotation.box.y, annotation.box.w, annotation.box.h].map((v) => Math.round(v)).join(',')}${annotation.theta ? ` θ${annotation.theta.toFixed(2)}` : ''}`;

export const annotationText = (annotation: Annotation | undefined, id: number): string =>
  annotation ? `#${id} ${annotation.image} (${annotation.name ?? 'unnamed'}${annotation.side ? `, ${annotation.side}` : ''})` : `#${id}`;

export function statusText(status: CatalogStatus): string {
  const lines = [
    `catalog    ${status.folder}`,
    `images     ${status.images}${status.missingImages ? ` (${status.missingImages} missing on disk)` : ''}`,
    `annotations ${status.annotations} (${status.namedAnnotations} named, ${status.individuals} individuals)`,
    ...(status.embedded.length === 0
      ? ['embedded   0 (run `pairx catalog embed`)']
      : status.embedded.map((model) => `embedded   ${model.embedded}/${status.annotations} by ${model.model} (${model.dim}-d)`)),
    `decided    ${status.decidedPairs} pairs (${status.logEntries} log entries)`,
  ];
  for (const job of status.unfinishedJobs) {
    lines.push(
      job.state === 'interrupted'
        ? `job        ${job.kind} interrupted at ${job.done}${job.total === null ? '' : `/${job.total}`}: run \`pairx catalog ${job.kind}\` again to resume`
        : `job        ${job.kind} running (${job.done}${job.total === null ? '' : `/${job.total}`})`,
    );
  }
  return lines.join('\n');
}

export const decisionText = (decision: Decision): string =>
  decision.verdict === 'undo'
    ? `#${decision.id} undo of #${decision.undoes}`
    : `#${decision.id} ${decision.a} ${decision.verdict} ${decision.b}${decision.merge ? ` (${decision.merge})` : ''}${decision.undoneBy ? ` [undone by #${decision.undoneBy}]` : ''}`;

/**
 * The review queue (or a strip of candidates) as a table, each side with its individual's size; a
 * question asked again says why on the line below it.
 */
export function queueTable(queue: readonly CandidatePair[], annotations: ReadonlyMap<number, Annotation>): string {
  const side = (id: number, size: number) => `${annotationText(annotations.get(id), id)}${size > 1 ? ` [${size} photos]` : ''}`;
  const lines = table(
    ['probability', 'similarity', 'plausibility', 'a', 'b'],
    queue.map((pair) => [
      pair.probability.toFixed(3),
      pair.similarity.toFixed(3),
      pair.plausibility === null ? '-' : pair.plausibility.toFixed(3),
      side(pair.a, pair.sizeA),
      side(pair.b, pair.sizeB),
    ]),
  ).split('\n');
  return [lines[0], ...queue.flatMap((pair, i) => (pair.reason ? [lines[i + 1], `    why: ${pair.reason.message}`] : [lines[i + 1]]))].join('\n');
}

/** Where the identification stands: what the reviewer needs to decide when to stop. */
export const progressLine = (progress: ReviewProgress, model: string): string =>
  `${progress.decisions} decisions, ${progress.individuals} individuals among ${progress.annotations} annotations; ` +
  `${progress.openQuestions} questions open, about ${progress.expectedMatches.toFixed(1)} matches still to find (by ${model})`;
