import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { tempFolder } from './helpers.ts';
import { fillSynthetic, gaussian } from '../fixtures/synthetic-catalog.ts';
import { countLinks, decisionsToReach, simulateReview } from '../fixtures/simulated-reviewer.ts';

const DIM = 24;

/**
 * Unnamed annotations of `animals` individuals, `each` photos apiece: vectors near a centre of their own,
 * with enough noise that the nearest neighbour is often another animal (like a weak re-ID model).
 */
function catalogOfAnimals(
  animals: number,
  each: number,
  noise = 0.9,
  options: { named?: (index: number) => string | null } = {},
) {
  const workbench = Workbench.init(tempFolder());
  const centres: Float32Array[] = [];
  const filled = fillSynthetic(workbench.store, {
    count: animals * each,
    dim: DIM,
    seed: 7,
    model: 'synthetic-reid',
    side: () => 'left',
    individual: options.named,
    vector: (i, random) => {
      const animal = i % animals;
      centres[animal] ??= Float32Array.from({ length: DIM }, () => gaussian(random));
      return Float32Array.from(centres[animal], (c) => c + noise * gaussian(random));
    },
  });
  const truth = new Map(filled.annotations.map((annotation, i) => [annotation.id, `animal-${i % animals}`]));
  return { workbench, truth, ...filled, handlers: workbenchHandlers(workbench) };
}

const between = <P extends { a: number; b: number }>(queue: P[], left: Set<number>, right: Set<number>): P[] =>
  queue.filter((p) => (left.has(p.a) && right.has(p.b)) || (left.has(p.b) && right.has(p.a)));
/** A queue with its probabilities rounded, for comparing queues computed along different paths. */
const rounded = <P extends { probability: number }>(queue: P[]) => queue.map((p) => ({ ...p, probability: +p.probability.toFixed(9) }));

describe('the review queue over individuals', () => {
  it('asks one question per pair of individuals, most probable first, through the best member pair', async () => {
    const { workbench, handlers } = catalogOfAnimals(8, 4);
    const result = await callApi(handlers, 'pairs.candidates', {});
    const { queue, progress } = result;
    expect(queue.length).toBeGreaterThan(20);
    for (let i = 1; i < queue.length; i++)
      expect(queue[i - 1].probability).toBeGreaterThanOrEqual(queue[i].probability);
    expect(new Set(queue.map((p) => `${Math.min(p.a, p.b)}:${Math.max(p.a, p.b)}`)).size).toBe(queue.length);
    expect(queue[0]).toMatchObject({ individualA: null, individualB: null, sizeA: 1, sizeB: 1 });
    expect(progress).toMatchObject({
      decisions: 0,
      annotations: 32,
      individuals: 32,
      openQuestions: queue.length,
    });
    expect(progress.expectedMatches).toBeCloseTo(
      queue.reduce((sum, p) => sum + p.probability, 0),
      6,
    );
    // The limit cuts what is returned, not the progress.
    const head = await callApi(handlers, 'pairs.candidates', { limit: 3 });
    expect(head.queue).toEqual(queue.slice(0, 3));
    expect(head.progress).toEqual(progress);
    workbench.close();
  });

  it('"different" weighs against the two individuals (odds ÷ 19), never walls them off; "same" joins; undo restores', async () => {
    const { workbench, handlers, annotations } = catalogOfAnimals(8, 4);
    const ids = annotations.map((a) => a.id);
    // Two individuals of two photos each, made by "same" (ids[0] and ids[8] are one animal, as are ids[1] and ids[9]).
    await callApi(handlers, 'decisions.decide', { a: ids[0], b: ids[8], verdict: 'same' });
    await callApi(handlers, 'decisions.decide', { a: ids[1], b: ids[9], verdict: 'same' });
    const left = new Set([ids[0], ids[8]]);
    const right = new Set([ids[1], ids[9]]);
    const before = (await callApi(handlers, 'pairs.candidates', {})).queue;
    const question = between(before, left, right);
    expect(question).toHaveLength(1);
    expect(question[0].kind).toBe('new');
    await callApi(handlers, 'decisions.decide', { a: question[0].a, b: question[0].b, verdict: 'different' });
    const after = (await callApi(handlers, 'pairs.candidates', {})).queue;
    const again = between(after, left, right);
    expect(again).toHaveLength(1);
    // Asked again through another pair of their photos nobody compared, at the odds ÷ 19 (ln 19 off the log-odds).
    expect(again[0]).toMatchObject({ kind: 'again', reason: { kind: 'recheck' } });
    expect(`${again[0].a}:${again[0].b}`).not.toBe(`${question[0].a}:${question[0].b}`);
    const logOdds = (p: number) => Math.log(p / (1 - p));
    expect(logOdds(question[0].probability) - logOdds(again[0].probability)).toBeGreaterThan(Math.log(19) - 1.5);
    expect(after.indexOf(again[0])).toBeGreaterThan(before.indexOf(question[0]));
    // Undo: the question is as it was.
    await callApi(handlers, 'decisions.undo', {});
    const restored = await callApi(handlers, 'pairs.candidates', {});
    expect(rounded(restored.queue)).toEqual(rounded(before));
    expect(restored.progress.individuals).toBe(32 - 2);
    workbench.close();
  });

  it('"unsure" drops that pair; the same two individuals may still be asked through another', async () => {
    const { workbench, handlers } = catalogOfAnimals(6, 4);
    const first = (await callApi(handlers, 'pairs.candidates', {})).queue[0];
    await callApi(handlers, 'decisions.decide', { a: first.a, b: first.b, verdict: 'same' });
    const next = (await callApi(handlers, 'pairs.candidates', {})).queue.find(
      (p) => p.sizeA === 2 || p.sizeB === 2,
    )!;
    await callApi(handlers, 'decisions.decide', { a: next.a, b: next.b, verdict: 'unsure' });
    const queue = (await callApi(handlers, 'pairs.candidates', {})).queue;
    expect(queue.some((p) => (p.a === next.a && p.b === next.b) || (p.a === next.b && p.b === next.a))).toBe(
      false,
    );
    const pair = new Set([next.a, next.b]);
    const group = new Set([first.a, first.b]);
    const other = [...pair].find((id) => !group.has(id))!;
    // The merged individual and the other one are still open, through their other member pair if the graph links it.
    const stillOpen = queue.filter(
      (p) => (group.has(p.a) && p.b === other) || (group.has(p.b) && p.a === other),
    );
    for (const p of stillOpen) expect(pair.has(p.a) && pair.has(p.b)).toBe(false);
    workbench.close();
  });

  it('treats imported names as known individuals, unless asked to look for duplicate names; a rename names one', async () => {
    // Half of the animals come named (an import), two names for the same animal 0 among them.
    const { workbench, handlers, annotations } = catalogOfAnimals(6, 4, 0.9, {
      named: (i) => (i < 12 ? (i === 6 ? 'zero-again' : `named-${i % 6}`) : null),
    });
    const named = new Set(annotations.slice(0, 12).map((a) => a.id));
    const queue = (await callApi(handlers, 'pairs.candidates', {})).queue;
    expect(queue.some((p) => named.has(p.a) && named.has(p.b))).toBe(false);
    expect(queue.some((p) => named.has(p.a) !== named.has(p.b))).toBe(true);
    const duplicates = (await callApi(handlers, 'pairs.candidates', { duplicateNames: true })).queue;
    expect(duplicates.some((p) => named.has(p.a) && named.has(p.b))).toBe(true);

    // An unnamed pair made one by "same" gets a generated name and stays askable against named ones.
    const unnamed = annotations.slice(12).map((a) => a.id);
    const made = await callApi(handlers, 'decisions.decide', {
      a: unnamed[0],
      b: unnamed[6],
      verdict: 'same',
    });
    expect('individual' in made && made.individual?.name).toMatch(/^ind-/);
    const group = new Set([unnamed[0], unnamed[6]]);
    const againstNamed = (q: { a: number; b: number }[]) =>
      q.some((p) => (group.has(p.a) && named.has(p.b)) || (group.has(p.b) && named.has(p.a)));
    expect(againstNamed((await callApi(handlers, 'pairs.candidates', {})).queue)).toBe(true);
    // Renamed by a person, it is a catalogued animal: no longer asked against the other names.
    await callApi(handlers, 'individuals.rename', {
      from: (made as { individual: { name: string } }).individual.name,
      to: 'Zola',
    });
    expect(againstNamed((await callApi(handlers, 'pairs.candidates', {})).queue)).toBe(false);
    workbench.close();
  });

  it('one photo against its candidates: a strip of individuals, and "none of these" as one commit', async () => {
    const { workbench, handlers, annotations } = catalogOfAnimals(8, 4);
    const focus = annotations[0].id;
    const strip = await callApi(handlers, 'review.strip', { annotationId: focus, limit: 5 });
    expect(strip.members).toEqual([focus]);
    expect(strip.candidates).toHaveLength(5);
    for (const candidate of strip.candidates) expect(candidate.a).toBe(focus);
    for (let i = 1; i < 5; i++)
      expect(strip.candidates[i - 1].probability).toBeGreaterThanOrEqual(strip.candidates[i].probability);
    const { decisions } = await callApi(handlers, 'decisions.noneOf', {
      pairs: strip.candidates.map(({ a, b }) => ({ a, b })),
    });
    expect(decisions.map((d) => d.verdict)).toEqual(Array(5).fill('different'));
    const after = await callApi(handlers, 'review.strip', { annotationId: focus, limit: 5 });
    // "None of these" weighs against each one shown: any that still comes up is asked again, less probable.
    const shown = new Map(strip.candidates.map((c) => [c.b, c.probability]));
    for (const candidate of after.candidates.filter((c) => shown.has(c.b))) {
      expect(candidate.kind).toBe('again');
      expect(candidate.probability).toBeLessThan(shown.get(candidate.b)! / 5);
    }
    // The five answers are one batch: one undo takes them all back.
    expect(new Set(decisions.map((d) => d.batch ?? d.id)).size).toBe(1);
    const undone = await callApi(handlers, 'decisions.undo', {});
    expect(undone.batch.map((d) => d.id).sort()).toEqual(decisions.map((d) => d.id).sort());
    expect(rounded((await callApi(handlers, 'review.strip', { annotationId: focus, limit: 5 })).candidates)).toEqual(rounded(strip.candidates));
    await callApi(handlers, 'decisions.noneOf', { pairs: strip.candidates.map(({ a, b }) => ({ a, b })) });
    // A pair naming a missing annotation fails the whole call: nothing of it is recorded.
    await expect(
      callApi(handlers, 'decisions.noneOf', {
        pairs: [
          { a: focus, b: after.candidates[0].b },
          { a: focus, b: 99999 },
        ],
      }),
    ).rejects.toThrow('there is no annotation 99999');
    expect(workbench.decisions()).toHaveLength(15);
    await expect(callApi(handlers, 'review.strip', { annotationId: 99999 })).rejects.toThrow(
      'there is no annotation 99999',
    );
    workbench.close();
  });

  it('learns its calibration from the decisions: probabilities follow the answers', async () => {
    const { workbench, truth } = catalogOfAnimals(10, 4, 1.6);
    const before = (await workbench.candidates({})).queue[0].probability;
    const links = countLinks(Array(10).fill(4));
    const { curve } = await simulateReview(workbench, links, {
      truth,
      order: 'individuals',
      maxDecisions: 60,
    });
    const samples = workbench.store.decisions.calibrationSamples(workbench.store.embeddings.models()[0].id);
    // First looks at two individuals are samples; questions asked again (confirmations, rechecks) are not.
    expect(samples.length).toBeLessThanOrEqual(curve.length);
    expect(samples.length).toBeGreaterThan(30);
    const { queue } = await workbench.candidates({});
    // Most questions of a weak model are "different": after 60 answers the top probability has come down.
    const sameShare = samples.filter((s) => s.same).length / samples.length;
    expect(sameShare).toBeLessThan(0.6);
    expect(queue[0].probability).not.toBeCloseTo(before, 3);
    workbench.close();
  });

  it('a truthful reviewer identifies the whole catalog, with fewer decisions than the plain pair queue', async () => {
    const animals = 12;
    const each = 5;
    const noise = 1.5; // a weak model: the plain queue recovers 97 % of the links and needs 301 decisions for 95 %
    const links = countLinks(Array(animals).fill(each));
    const individuals = catalogOfAnimals(animals, each, noise);
    const byIndividuals = await simulateReview(individuals.workbench, links, {
      truth: individuals.truth,
      order: 'individuals',
      maxDecisions: 2000,
    });
    individuals.workbench.close();
    const pairs = catalogOfAnimals(animals, each, noise);
    const byPairs = await simulateReview(pairs.workbench, links, {
      truth: pairs.truth,
      order: 'pairs',
      maxDecisions: 2000,
    });
    pairs.workbench.close();
    expect(byIndividuals.curve.at(-1)).toBe(1);
    expect(byIndividuals.final).toMatchObject({ falseLinks: 0, mixed: 0 });
    const reach = (curve: number[], share: number) => decisionsToReach(curve, share) ?? Infinity;
    expect(reach(byIndividuals.curve, 0.8)).toBeLessThan(reach(byPairs.curve, 0.8));
    expect(reach(byIndividuals.curve, 0.95)).toBeLessThan(reach(byPairs.curve, 0.95));
  });
});

describe('a reviewer who makes mistakes', () => {
  it('ends with nearly every link and no individual holding two animals, asking again where answers disagree', async () => {
    const animals = 10;
    const each = 5;
    const links = countLinks(Array(animals).fill(each));
    for (const seed of [1, 2]) {
      const { workbench, truth } = catalogOfAnimals(animals, each, 1.2);
      const result = await simulateReview(workbench, links, { truth, order: 'individuals', maxDecisions: 500, errorRate: 0.05, seed });
      expect(result.wrongAnswers).toBeGreaterThan(5);
      expect(result.final.mixed).toBeLessThanOrEqual(1);
      expect(result.final.links / links).toBeGreaterThan(0.9);
      // Questions asked again and joins confirmed: the evidence model at work, not a wall of first answers.
      expect((result.kinds.again ?? 0) + (result.kinds.confirm ?? 0)).toBeGreaterThan(10);
      workbench.close();
    }
  });

  it('an undo after each kind of decision gives back the individuals as they were', async () => {
    const { workbench, annotations } = catalogOfAnimals(6, 4);
    const ids = annotations.map((a) => a.id);
    const snapshot = () => workbench.list().annotations.map((a) => [a.id, a.name]);
    const decisions: [number, number, 'same' | 'different' | 'unsure'][] = [
      [ids[0], ids[6], 'same'],
      [ids[6], ids[12], 'same'],
      [ids[0], ids[12], 'different'],
      [ids[0], ids[1], 'same'],
      [ids[1], ids[7], 'unsure'],
      [ids[0], ids[6], 'different'],
    ];
    const states = [snapshot()];
    for (const [a, b, verdict] of decisions) {
      workbench.decide(a, b, verdict);
      states.push(snapshot());
    }
    for (let i = decisions.length - 1; i >= 0; i--) {
      workbench.undo();
      expect(snapshot()).toEqual(states[i]);
    }
    // The split of a photo from its individual is one batch, and one undo. (Two answers each join,
    // whatever the model thinks of the photos.)
    for (const [a, b] of [
      [ids[0], ids[6]],
      [ids[6], ids[12]],
    ])
      for (let twice = 0; twice < 2; twice++) workbench.decide(a, b, 'same');
    const joined = snapshot();
    expect(new Set(workbench.list({ ids: [ids[0], ids[6], ids[12]] }).annotations.map((a) => a.name)).size).toBe(1);
    const split = await callApi(workbenchHandlers(workbench), 'decisions.split', { annotationId: ids[12] });
    expect(split.decisions).toHaveLength(2);
    expect(workbench.list({ ids: [ids[12]] }).annotations[0].name).toBeNull();
    workbench.undo();
    expect(snapshot()).toEqual(joined);
    workbench.close();
  });
});

describe('two writers on one catalog', () => {
  it('each sees the other’s decisions in its queue at once, and no decision is lost', async () => {
    const { workbench: desktop, annotations } = catalogOfAnimals(6, 4);
    const cli = Workbench.open(desktop.folder);
    const first = (await desktop.candidates({})).queue[0];
    desktop.decide(first.a, first.b, 'different');
    // The other process's queue sees the answer at once: the two are no longer a first question.
    const seen = (await cli.candidates({})).queue.filter((p) => new Set([p.a, p.b, first.a, first.b]).size === 2);
    expect(seen.every((p) => p.kind === 'again' && p.probability < first.probability)).toBe(true);
    const second = (await cli.candidates({})).queue[0];
    cli.decide(second.a, second.b, 'same');
    expect((await desktop.candidates({})).progress.individuals).toBe(annotations.length - 1);
    // Interleaved writes from both: all recorded, in order.
    for (let i = 0; i < 6; i++)
      (i % 2 ? cli : desktop).decide(annotations[i].id, annotations[i + 12].id, 'unsure');
    expect(desktop.decisions()).toHaveLength(8);
    expect(cli.decisions().map((d) => d.id)).toEqual(desktop.decisions().map((d) => d.id));
    cli.close();
    desktop.close();
  });
});

describe('the review queue with a model that explains', () => {
  it('scores its upcoming questions with PAIR-X plausibility in the background, and orders by it', async () => {
    const folder = tempFolder();
    cpSync(resolve('test/fixtures/photos'), join(folder, 'photos'), { recursive: true });
    const workbench = Workbench.init(folder, { backgroundScoring: true });
    const handlers = workbenchHandlers(workbench);
    const model = resolve('test/fixtures/golden/resnet-narrow-128/model.onnx');
    await callApi(handlers, 'models.add', { path: model });
    await callApi(handlers, 'models.select', { id: model });
    await workbench.importFolder(folder);
    await workbench.embed({});
    const first = await callApi(handlers, 'pairs.candidates', { sameSide: false });
    expect(first.queue.length).toBeGreaterThan(0);
    expect(first.queue.every((pair) => pair.plausibility === null)).toBe(true);
    // A request the reviewer waits for is answered while the scoring goes on.
    const explained = await callApi(handlers, 'pairs.explain', { a: first.queue[0].a, b: first.queue[0].b });
    expect(explained.matches.length).toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (await callApi(handlers, 'pairs.candidates', { sameSide: false })).queue.filter(
            (p) => p.plausibility !== null,
          ).length,
        {
          timeout: 60_000,
          interval: 500,
        },
      )
      .toBe(Math.min(first.queue.length, 12));
    const scored = (await callApi(handlers, 'pairs.candidates', { sameSide: false })).queue;
    for (let i = 1; i < scored.length; i++)
      expect(scored[i - 1].probability).toBeGreaterThanOrEqual(scored[i].probability);
    workbench.close();
  }, 120_000);
});
