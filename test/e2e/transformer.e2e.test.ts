import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canvasColours, hasChromium, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';
import { makeReviewCatalog } from './review-catalog.ts';

/**
 * A transformer in the review workbench, in Chromium against the browser mode: a catalog embedded with a
 * ViT (class token, token layout), its pairs reviewed with explanations drawn (matches, heat maps, pixel
 * maps on the 14×14 patch grid), and a Swin model added in Settings, whose layer list shows its
 * channels-last stages. Screenshots go to test-artifacts/e2e-transformer/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-transformer');
const VIT = resolve('test/fixtures/golden/vit-tiny-224/model.onnx');
const SWIN = resolve('test/fixtures/golden/swin-tiny-224/model.onnx');

describe.skipIf(!hasChromium)('a transformer in the review workbench (Chromium, browser mode)', () => {
  let catalog: string;
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  const shot = screenshots(ARTIFACTS, () => page);

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    catalog = (await makeReviewCatalog({ model: VIT })).folder;
    ({ served, browser, page } = await openBrowserMode(catalog)); // the layer menu's grids come from this build
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (catalog) rmSync(catalog, { recursive: true, force: true });
  });

  it('reviews a pair with the ViT: matches, heat maps and pixel maps drawn', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await page.getByRole('button', { name: 'Review queue' }).click();
    const rows = page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    const matches = page.getByRole('list', { name: 'Matches' }).getByRole('listitem');
    await expect.poll(() => matches.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const canvas = page.locator('.pair-canvas canvas');
    await expect.poll(() => canvas.getAttribute('data-drawn'), { timeout: 30_000 }).toBe('complete');
    expect(await canvasColours(page, '.pair-canvas canvas')).toBeGreaterThan(200);
    await expect.poll(() => page.getByText('computing pixel maps…').count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => page.locator('.match-pixels', { hasText: '◆' }).count()).toBeGreaterThan(0);
    // Its relevance is conserved: no badge says otherwise.
    expect(await page.locator('.unfaithful-badge').count()).toBe(0);
    await expect.poll(() => page.locator('.faithful-mark').count()).toBe(1);
    // The layer menu offers the ViT's blocks with their patch grids.
    await expect.poll(() => page.getByLabel('Layer').locator('option', { hasText: 'blocks.1 [96×14×14]' }).count()).toBe(1);
    await shot('01-vit-pair');
    expect(browser.errors).toEqual([]);
  });

  it('adds a Swin model in Settings and lists its channels-last stages', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    const models = page.locator('table.models tbody tr');
    await expect.poll(() => models.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const before = await models.count();
    await page.getByLabel('Add a model').fill(SWIN);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => models.count(), { timeout: 60_000 }).toBe(before + 1);
    await shot('02-settings-swin-added');
    expect(browser.errors).toEqual([]);
  });
});
