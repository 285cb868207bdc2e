import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { fillSynthetic } from '../fixtures/synthetic-catalog.ts';
import { tempFolder } from './helpers.ts';

/**
 * Six annotations on six photos: 1, 2 named "Alice"; 3 named "Bob"; 4, 5, 6 unnamed. Every vector is the
 * same, so the model finds every pair alike and one "same" joins at once: these tests are about the log.
 */
function catalog(): Workbench {
  const workbench = Workbench.init(tempFolder());
  fillSynthetic(workbench.store, {
    count: 6,
    dim: 4,
    individual: (i) => [`Alice`, 'Alice', 'Bob', null, null, null][i],
    vector: () => Float32Array.of(1, 0, 0, 0),
  });
  return workbench;
}

const names = (workbench: Workbench) => workbench.list().annotations.map((annotation) => annotation.name);

describe('decisions', () => {
  it('"same" names an unnamed annotation after the other, or both with a new generated name', () => {
    const workbench = catalog();
    expect(workbench.decide(4, 1, 'same', { reviewer: 'ana', note: 'stripes match' })).toMatchObject({
      decision: { id: 1, a: 4, b: 1, verdict: 'same', reviewer: 'ana', note: 'stripes match', undoes: null, undoneBy: null },
      individual: { name: 'Alice' },
    });
    expect(workbench.decide(5, 6, 'same')).toMatchObject({ individual: { name: 'ind-0001' } });
    workbench.undo();
    // The same two joined again are the individual they were before the undo.
    expect(workbench.decide(6, 5, 'same')).toMatchObject({ individual: { name: 'ind-0001' } });
    expect(names(workbench)).toEqual(['Alice', 'Alice', 'Bob', 'Alice', 'ind-0001', 'ind-0001']);
    expect(workbench.decide(6, 3, 'same')).toMatchObject({ individual: { name: 'Bob' } });
    expect(names(workbench)).toEqual(['Alice', 'Alice', 'Bob', 'Alice', 'Bob', 'Bob']);
    workbench.close();
  });

  it('asks before merging two named individuals, then merges keeping the chosen name', () => {
    const workbench = catalog();
    expect(workbench.decide(1, 3, 'same')).toEqual({ conflict: { nameA: 'Alice', nameB: 'Bob' } });
    expect(workbench.decisions()).toEqual([]);
    expect(workbench.decide(1, 3, 'same', { confirmMerge: 'keep-b' })).toMatchObject({ decision: { merge: 'keep-b' }, individual: { name: 'Bob' } });
    expect(names(workbench)).toEqual(['Bob', 'Bob', 'Bob', null, null, null]);
    expect(workbench.listIndividuals().map((individual) => [individual.name, individual.annotations.map((a) => a.id)])).toEqual([['Bob', [1, 2, 3]]]);
    workbench.close();
  });

  it('undo appends an entry, restores the naming exactly and goes back one decision at a time', () => {
    const workbench = catalog();
    workbench.decide(4, 5, 'same'); // 1: ind-0001
    workbench.decide(4, 1, 'same'); // 2: ind-0001 joins Alice (a generated name gives way without asking)
    workbench.decide(2, 3, 'different'); // 3
    expect(names(workbench)).toEqual(['Alice', 'Alice', 'Bob', 'Alice', 'Alice', null]);

    expect(workbench.undo({ reviewer: 'ben' })).toMatchObject({ entry: { id: 4, verdict: 'undo', undoes: 3, reviewer: 'ben' }, undone: { id: 3, undoneBy: 4 } });
    expect(workbench.undo()).toMatchObject({ entry: { id: 5, undoes: 2 }, undone: { id: 2 } });
    expect(names(workbench)).toEqual(['Alice', 'Alice', 'Bob', 'ind-0001', 'ind-0001', null]);
    expect(workbench.undo()).toMatchObject({ entry: { id: 6, undoes: 1 } });
    expect(names(workbench)).toEqual(['Alice', 'Alice', 'Bob', null, null, null]);
    expect(() => workbench.undo()).toThrow('there is no decision to undo');

    // Nothing was deleted: the log holds every decision and every undo.
    const log = workbench.decisions();
    expect(log.map((d) => [d.id, d.verdict, d.undoes, d.undoneBy])).toEqual([
      [1, 'same', null, 6],
      [2, 'same', null, 5],
      [3, 'different', null, 4],
      [4, 'undo', 3, null],
      [5, 'undo', 2, null],
      [6, 'undo', 1, null],
    ]);
    expect(workbench.status()).toMatchObject({ decidedPairs: 0, logEntries: 6 });
    workbench.close();
  });

  it('warns when "different" contradicts the names, and refuses nonsense', () => {
    const workbench = catalog();
    expect(workbench.decide(1, 2, 'different')).toMatchObject({
      warning: 'both annotations were named "Alice" by a person; they stay in that individual, and the answer is on record',
    });
    expect(() => workbench.decide(1, 1, 'same')).toThrow('a decision needs two different annotations');
    expect(() => workbench.decide(1, 99, 'same')).toThrow('there is no annotation 99');
    expect(workbench.status()).toMatchObject({ decidedPairs: 1, logEntries: 1 });
    workbench.close();
  });

  it('is committed before the call returns: another connection sees it at once', async () => {
    const workbench = catalog();
    const reader = Workbench.open(workbench.folder, { readonly: true });
    workbench.decide(1, 4, 'same');
    expect(reader.decisions()).toHaveLength(1);
    expect(reader.list({ ids: [4] }).annotations[0].name).toBe('Alice');
    expect((await reader.candidates({ k: 2 })).queue.length).toBeGreaterThan(0);
    expect(() => reader.decide(5, 6, 'same')).toThrow(/readonly/);
    reader.close();
    workbench.close();
  });

  it('renames individuals, keeping the old names on record, and refuses a taken name', () => {
    const workbench = catalog();
    expect(workbench.renameIndividual('Alice', 'Alicia', { reviewer: 'ana' })).toEqual({ id: 1, name: 'Alicia' });
    expect(names(workbench)).toEqual(['Alicia', 'Alicia', 'Bob', null, null, null]);
    expect(() => workbench.renameIndividual('Alicia', 'Bob')).toThrow(/the name "Bob" is taken \(1 annotation\)/);
    expect(() => workbench.renameIndividual('Carol', 'Dora')).toThrow('there is no individual named "Carol"');
    expect(workbench.store.db.prepare('SELECT old_name, new_name, reviewer FROM name_changes').all()).toEqual([{ old_name: 'Alice', new_name: 'Alicia', reviewer: 'ana' }]);
    workbench.close();
  });

  it('exports current names and the whole log as CSV', async () => {
    const workbench = catalog();
    workbench.decide(4, 5, 'same', { note: 'same notch, "left" ear,\nsee photo' });
    workbench.decide(1, 3, 'different', { reviewer: 'ana' });
    workbench.undo();
    workbench.renameIndividual('ind-0001', 'Eve');
    const out = join(tempFolder(), 'export');
    const result = await workbench.exportCatalog({ outDir: out });
    expect(result).toMatchObject({ format: 'csv', annotationsCsv: join(out, 'annotations.csv'), decisionsCsv: join(out, 'decisions.csv'), annotations: 6, decisions: 3 });

    const annotations = parse(readFileSync(result.annotationsCsv!), { columns: true }) as Record<string, string>[];
    expect(annotations.map((row) => [row.annotation_id, row.image, row.name])).toEqual([
      ['1', 'synthetic/0.jpg', 'Alice'],
      ['2', 'synthetic/1.jpg', 'Alice'],
      ['3', 'synthetic/2.jpg', 'Bob'],
      ['4', 'synthetic/3.jpg', 'Eve'],
      ['5', 'synthetic/4.jpg', 'Eve'],
      ['6', 'synthetic/5.jpg', ''],
    ]);
    const decisions = parse(readFileSync(result.decisionsCsv!), { columns: true }) as Record<string, string>[];
    expect(decisions.map((row) => [row.decision_id, row.verdict, row.undoes, row.undone_by, row.reviewer, row.note, row.accuracy, row.weight])).toEqual([
      ['1', 'same', '', '', '', 'same notch, "left" ear,\nsee photo', '0.95', '2.944'],
      ['2', 'different', '', '3', 'ana', '', '0.95', '2.944'],
      ['3', 'undo', '2', '', '', '', '', ''],
    ]);
    workbench.close();
  });
});
