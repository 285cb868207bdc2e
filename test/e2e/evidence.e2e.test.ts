import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { apiCall, canvasColours, hasChromium, CHROMIUM, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';
import { DEMO_PHOTOS, SMALL_MODEL } from './review-catalog.ts';

/**
 * Answers as evidence in a real browser: a catalog of unnamed demo photos where two reviewers' answers
 * disagree and one wrong "same" joined two animals. The queue says why it asks again, the pair view shows
 * it, the individual view marks the photo the evidence supports least, compares it with its closest fellow
 * member, splits it off and takes the split back; Settings lists the reviewers with their accuracies.
 * Screenshots go to test-artifacts/e2e-evidence/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-evidence');
if (!hasChromium) console.warn(`\n[e2e skipped] no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium)\n`);

/** Left flanks of four demo individuals, imported without names. */
const PHOTOS = [
  ['106', ['132', '193']],
  ['123', ['159', '274']],
  ['134', ['1000', '194']],
  ['146', ['224', '292']],
] as const;

describe.skipIf(!hasChromium)('answers as evidence in Chromium (browser mode)', () => {
  let folder: string;
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  const ids = new Map<string, number>();
  const shot = screenshots(ARTIFACTS, () => page);

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    folder = mkdtempSync(join(tmpdir(), 'pairx-e2e-evidence-'));
    const rows = ['image,side'];
    for (const [individual, photos] of PHOTOS) {
      mkdirSync(join(folder, individual), { recursive: true });
      for (const photo of photos) {
        copyFileSync(join(DEMO_PHOTOS, individual, `${photo}_leftphoto.jpg`), join(folder, individual, `${photo}_leftphoto.jpg`));
        rows.push(`${individual}/${photo}_leftphoto.jpg,left`);
      }
    }
    writeFileSync(join(folder, 'sides.csv'), `${rows.join('\n')}\n`);
    const workbench = Workbench.init(folder);
    const handlers = workbenchHandlers(workbench);
    await callApi(handlers, 'catalog.import', { annotationsCsv: join(folder, 'sides.csv') });
    const added = await callApi(handlers, 'models.add', { path: SMALL_MODEL });
    await callApi(handlers, 'models.select', { id: added.id });
    await callApi(handlers, 'catalog.embed', {});
    for (const annotation of workbench.list().annotations) ids.set(annotation.image.replace('_leftphoto.jpg', ''), annotation.id);
    const id = (key: string) => ids.get(key)!;
    // ana joins each animal's two photos, then (twice) wrongly joins the two animals; bo says they differ:
    // a join the evidence holds weakly, with answers that disagree.
    const decide = (a: string, b: string, verdict: 'same' | 'different', reviewer: string) =>
      callApi(handlers, 'decisions.decide', { a: id(a), b: id(b), verdict, reviewer });
    await decide('106/132', '106/193', 'same', 'ana');
    await decide('123/159', '123/274', 'same', 'ana');
    await decide('106/193', '123/159', 'same', 'ana');
    await decide('106/132', '123/159', 'same', 'ana');
    await decide('106/193', '123/274', 'different', 'bo');
    await decide('134/1000', '134/194', 'same', 'ana');
    workbench.close();
    ({ served, browser, page } = await openBrowserMode(folder));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('lists questions asked again with why, and shows the reason above the pair', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await page.getByRole('button', { name: 'Review queue' }).click();
    const tags = page.locator('.reason-tag');
    await tags.first().waitFor();
    expect(await tags.count()).toBeGreaterThan(0);
    await shot('01-queue-with-reasons');
    // Open the first question asked again.
    const row = page.locator('.queue-row', { has: page.locator('.reason-tag') }).first();
    await row.dblclick();
    const banner = page.getByRole('note', { name: 'Why this question is asked' });
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/disagree|confirm|belong|did not join|model/);
    await page.waitForFunction(() => document.querySelector('section.pair-view canvas') !== null);
    await page.waitForTimeout(1500);
    await shot('02-pair-with-reason');
    await page.keyboard.press('Escape');
  });

  it('shows one individual with the weakest photo marked, compares it, splits it off and takes it back', async () => {
    await page.getByRole('button', { name: 'Catalog', exact: true }).click();
    const individuals = page.getByRole('list', { name: 'Individuals' });
    await individuals.getByRole('button', { name: /^ind-/ }).first().click();
    const grid = page.getByRole('list', { name: 'Photos of this individual' });
    await grid.waitFor();
    const cards = grid.getByRole('listitem');
    const before = await cards.count();
    expect(before).toBeGreaterThanOrEqual(3);
    const weakest = page.locator('.member-card.weakest');
    await weakest.waitFor();
    expect(await weakest.count()).toBe(1);
    await shot('03-individual');
    // The weakest is selected first; E compares it with its closest fellow member by PAIR-X.
    expect(await page.locator('.member-card.selected.weakest').count()).toBe(1);
    await page.keyboard.press('e');
    await page.locator('.individual-view canvas').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.individual-view canvas').length > 0);
    await page.waitForTimeout(3000);
    expect(await canvasColours(page, '.individual-view canvas')).toBeGreaterThan(20);
    await shot('04-individual-compare');
    const split = (await apiCall<{ id: number }[]>(served, 'decisions.list')).body.value!.length;
    await page.keyboard.press('x');
    await page.getByText(/split off/).waitFor();
    await expect.poll(async () => cards.count()).toBe(before - 1);
    const log = (await apiCall<{ verdict: string; batch: number | null }[]>(served, 'decisions.list')).body.value!;
    expect(log.length - split).toBe(before - 1);
    expect(log.slice(split).every((d) => d.verdict === 'different')).toBe(true);
    await shot('05-individual-after-split');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => cards.count()).toBe(before);
    await shot('06-individual-after-undo');
  });

  it('lists the reviewers with their answers, overturns and accuracy, which a lead can set', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const table = page.getByRole('table', { name: 'Reviewers' });
    await table.waitFor();
    await table.getByRole('row', { name: /ana/ }).waitFor();
    await table.getByRole('row', { name: /bo/ }).waitFor();
    await page.getByRole('textbox', { name: 'accuracy of bo' }).fill('0.9');
    await table.getByRole('row', { name: /bo/ }).getByRole('button', { name: 'Set' }).click();
    await page.getByText('bo: accuracy 0.9').waitFor();
    const reviewers = (await apiCall<{ reviewer: string; inUse: number; set: number | null }[]>(served, 'reviewers.list')).body.value!;
    expect(reviewers.find((r) => r.reviewer === 'bo')).toMatchObject({ set: 0.9, inUse: 0.9 });
    await shot('07-settings-reviewers');
    expect(browser.errors).toEqual([]);
  });
});
