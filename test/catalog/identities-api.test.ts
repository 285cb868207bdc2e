import { describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api.ts';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { fillSynthetic } from '../fixtures/synthetic-catalog.ts';
import { tempFolder } from './helpers.ts';

/** Five unnamed annotations whose vectors are all alike: the model never objects, the answers decide. */
function catalog() {
  const workbench = Workbench.init(tempFolder());
  fillSynthetic(workbench.store, { count: 5, dim: 4, vector: () => Float32Array.of(1, 0, 0, 0) });
  const handlers = workbenchHandlers(workbench);
  const call = async <M extends keyof typeof api>(method: M, args: unknown) => {
    const result = await callApi(handlers, method, args);
    expect(() => api[method].result.parse(result)).not.toThrow();
    return result;
  };
  return { workbench, call };
}

describe('the evidence through the API', () => {
  it('shows an individual with the member the evidence supports least, and why each annotation is where it is', async () => {
    const { workbench, call } = catalog();
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'ana' });
    await call('decisions.decide', { a: 2, b: 3, verdict: 'same', reviewer: 'ana' });
    await call('decisions.decide', { a: 1, b: 3, verdict: 'same', reviewer: 'ana' });
    await call('decisions.decide', { a: 3, b: 4, verdict: 'same', reviewer: 'ana' });
    const [individual] = await call('individuals.list', {});
    const detail = await call('individuals.get', { name: individual.name });
    expect(detail.members.map((m) => m.annotationId)).toEqual([1, 2, 3, 4]);
    // 4 hangs on one answer; 1, 2 and 3 on two each.
    expect(detail.weakest).toBe(4);
    const member = (id: number) => detail.members.find((m) => m.annotationId === id)!;
    expect(member(4).answers).toHaveLength(1);
    expect(member(3).answers).toHaveLength(3);
    expect(member(4).support!).toBeLessThan(member(3).support!);
    expect(member(4).closest?.annotationId).toBeDefined();

    const why = await call('annotations.why', { annotationId: 4 });
    expect(why).toMatchObject({ annotationId: 4, individual: { name: individual.name }, givenByPerson: false });
    expect(why.answers).toEqual([expect.objectContaining({ other: 3, verdict: 'same', reviewer: 'ana' })]);
    expect(why.history).toEqual([
      expect.objectContaining({ cause: 'decision', before: null, after: individual.name, decision: expect.objectContaining({ id: 4, verdict: 'same' }) }),
    ]);
    await expect(call('individuals.get', { name: 'nobody' })).rejects.toThrow('there is no individual named "nobody"');
    workbench.close();
  });

  it('weighs each reviewer by the accuracy a lead sets, and derives who is who again with it', async () => {
    const { workbench, call } = catalog();
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'ana' });
    // bo disagrees; with equal weights the tie leaves the two apart.
    await call('decisions.decide', { a: 1, b: 2, verdict: 'different', reviewer: 'bo' });
    const apart = (await call('catalog.list', { ids: [1, 2] })).annotations;
    expect(apart[0].individualId === null || apart[0].individualId !== apart[1].individualId).toBe(true);
    const reviewers = await call('reviewers.list', {});
    expect(reviewers.map((r) => [r.reviewer, r.answers])).toEqual([
      ['ana', 1],
      ['bo', 1],
    ]);
    // A lead trusts bo less: ana's answer now outweighs bo's, and the change is on record.
    const after = await call('reviewers.set', { reviewer: 'bo', accuracy: 0.8 });
    expect(after.find((r) => r.reviewer === 'bo')).toMatchObject({ set: 0.8, inUse: 0.8 });
    const together = (await call('catalog.list', { ids: [1, 2] })).annotations;
    expect(together[0].individualId).not.toBeNull();
    expect(together[0].individualId).toBe(together[1].individualId);
    const why = await call('annotations.why', { annotationId: 2 });
    expect(why.history.at(-1)).toMatchObject({ cause: 'accuracy', detail: 'bo: set to 0.8', decision: null, after: together[0].name });
    expect(why.answers.map((a) => [a.reviewer, a.verdict, +a.weight.toFixed(2)])).toEqual([
      ['ana', 'same', 2.94],
      ['bo', 'different', 1.39],
    ]);
    // Estimated again from the answers: the tie is back.
    await call('reviewers.set', { reviewer: 'bo', accuracy: null });
    const again = (await call('catalog.list', { ids: [1, 2] })).annotations;
    expect(again[0].individualId === null || again[0].individualId !== again[1].individualId).toBe(true);
    await expect(call('reviewers.set', { reviewer: 'bo', accuracy: 1 })).rejects.toThrow();
    workbench.close();
  });

  it('lists disagreements until the evidence settles them, with who answered what and when', async () => {
    const { workbench, call } = catalog();
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'ana' });
    await call('decisions.decide', { a: 1, b: 2, verdict: 'different', reviewer: 'bo' });
    const open = await call('disputes.list', {});
    expect(open).toHaveLength(1);
    expect(open[0].answers.map((d) => [d.reviewer, d.verdict])).toEqual([
      ['ana', 'same'],
      ['bo', 'different'],
    ]);
    expect(open[0].question.reason?.kind).toBe('disagreement');
    expect(open[0].answers.every((d) => /^\d{4}-/.test(d.createdAt))).toBe(true);
    // A lead's answer joins them, weakly: still open, now as a join to confirm.
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'lead' });
    const weak = await call('disputes.list', {});
    expect(weak).toHaveLength(1);
    expect(weak[0].question.kind).toBe('confirm');
    expect(weak[0].answers).toHaveLength(3);
    // Another answer the same way settles it.
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'lead' });
    expect(await call('disputes.list', {})).toEqual([]);
    workbench.close();
  });

  it('exports each decision with its reviewer, accuracy, weight and time', async () => {
    const { workbench, call } = catalog();
    await call('reviewers.set', { reviewer: 'cy', accuracy: 0.9 });
    await call('decisions.decide', { a: 1, b: 2, verdict: 'same', reviewer: 'cy' });
    const result = await call('catalog.export', { outDir: tempFolder() });
    const { readFileSync } = await import('node:fs');
    const [header, row] = readFileSync(result.decisionsCsv!, 'utf8').trim().split('\n');
    const columns = header.split(',');
    const cells = row.split(',');
    const cell = (name: string) => cells[columns.indexOf(name)];
    expect(cell('reviewer')).toBe('cy');
    expect(cell('accuracy')).toBe('0.9');
    expect(cell('weight')).toBe('2.197');
    expect(cell('created_at')).toMatch(/^\d{4}-\d\d-\d\dT/);
    workbench.close();
  });
});
