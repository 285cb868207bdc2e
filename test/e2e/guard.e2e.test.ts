import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUnfaithfulModel } from '../fixtures/unfaithful-model.ts';
import { hasChromium, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';
import { makeReviewCatalog } from './review-catalog.ts';

/**
 * The conservation guard in the pair view, in Chromium against the browser mode: a catalog embedded with
 * a model where LRP cannot conserve relevance (test/fixtures/unfaithful-model.ts) shows its explanation
 * under a badge that says it is not faithful and by how much, and offers another layer; the faithful
 * ViT of the transformer test shows no badge (test/e2e/transformer.e2e.test.ts). Screenshots go to
 * test-artifacts/e2e-guard/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-guard');

describe.skipIf(!hasChromium)('the conservation guard in the pair view (Chromium, browser mode)', () => {
  let modelDir: string;
  let catalog: string;
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  const shot = screenshots(ARTIFACTS, () => page);

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    modelDir = writeUnfaithfulModel(mkdtempSync(join(tmpdir(), 'pairx-unfaithful-')));
    catalog = (await makeReviewCatalog({ model: modelDir })).folder;
    ({ served, browser, page } = await openBrowserMode(catalog)); // the badge comes with this build
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    for (const dir of [catalog, modelDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows a badge over an explanation that is not faithful, with how far off and another layer', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await page.getByRole('button', { name: 'Review queue' }).click();
    const rows = page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    const badge = page.locator('.unfaithful-badge');
    await expect.poll(() => badge.count(), { timeout: 60_000 }).toBe(1);
    await expect.poll(() => page.getByText('computing pixel maps…').count(), { timeout: 60_000 }).toBe(0);
    const text = await badge.innerText();
    expect(text).toMatch(/Explanation not faithful at layer features: relevance ×\S+ off; try layer features\.1/);
    expect(Number(await badge.getAttribute('data-worst'))).toBeGreaterThan(10);
    await expect.poll(() => page.locator('.pair-stage.unfaithful').count()).toBe(1);
    await shot('01-unfaithful-badge');

    // The suggested layer is one click away; this model is unfaithful there too, and says so.
    await badge.getByRole('button', { name: 'Try features.1' }).click();
    await expect.poll(() => badge.innerText(), { timeout: 60_000 }).toMatch(/at layer features\.1: relevance ×\S+ off; try layer features(?!\.)/);
    await shot('02-unfaithful-other-layer');
    expect(browser.errors).toEqual([]);
  });
});
