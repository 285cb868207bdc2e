import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { checkCamtrapDpPackage } from '../formats/camtrap-dp-checker.ts';
import { layOutWbia } from '../formats/fixtures.ts';
import { apiCall, hasChromium, CHROMIUM, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';

/**
 * The field formats in the browser mode: a WBIA COCO export imported from the catalog view's import
 * form, then the Export menu writing a Camtrap DP package and a Wildbook sheet; screenshots go to
 * test-artifacts/e2e-formats/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-formats');
if (!hasChromium) console.warn(`\n[e2e skipped] no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium)\n`);

describe.skipIf(!hasChromium)('field formats in Chromium (browser mode)', () => {
  let catalog: string;
  let coco: { folder: string; file: string };
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  const shot = screenshots(ARTIFACTS, () => page);

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    catalog = mkdtempSync(join(tmpdir(), 'pairx-e2e-formats-'));
    coco = layOutWbia(catalog);
    writeFileSync(join(catalog, 'deployments.csv'), 'deploymentID,folder,latitude,longitude,locationName\ncam-A,coco/images/train2024,-27.5,32.25,Nyala hide\n');
    Workbench.init(catalog).close();
    ({ served, browser, page } = await openBrowserMode(catalog));
    await apiCall(served, 'settings.set', { reviewer: 'ana' });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (catalog) rmSync(catalog, { recursive: true, force: true });
  });

  it('imports a COCO file from the import form, recognised by its content', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await page.getByLabel('Folder').first().fill(coco.folder);
    await page.getByLabel('Annotations file').fill(coco.file);
    await shot('01-import-form');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(/read as COCO \(Wildbook\/WBIA\): 6 annotations, 6 added/).waitFor({ timeout: 60_000 });
    const cells = page.getByRole('list', { name: 'Annotations' }).getByRole('listitem');
    await expect.poll(() => cells.count(), { timeout: 30_000 }).toBe(6);
    await expect.poll(() => page.getByRole('list', { name: 'Individuals' }).getByRole('listitem').count()).toBe(2);
    await shot('02-imported');
  });

  it('exports a Camtrap DP package from the Export menu; a missing value is one line in place', async () => {
    await page.getByRole('button', { name: /Choose a format/ }).click();
    await shot('03-export-menu');
    await page.getByRole('menuitem', { name: /Camtrap DP package/ }).click();
    const form = page.getByRole('form', { name: /Export as Camtrap DP/ });
    await form.getByLabel('Genus').fill('Tragelaphus');
    await form.getByLabel('Specific epithet').fill('angasii');
    await form.getByRole('button', { name: 'Export' }).click();
    // The WBIA file's capture times have no zone, and no sampling design is set yet: each is one line, in place.
    await page.getByRole('alert').getByText(/has no time zone: give the cameras' UTC offset/).waitFor();
    await form.getByLabel('UTC offset').fill('+02:00');
    await form.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('alert').getByText(/names the project's sampling design and capture method/).waitFor();
    await shot('04-export-refused');
    await form.getByLabel('Sampling design').selectOption('opportunistic');
    await form.getByLabel('activityDetection').check();
    await form.getByLabel('Deployments CSV').fill(join(catalog, 'deployments.csv'));
    await form.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('status').getByText(/Wrote 6 annotations of 5 photos/).waitFor({ timeout: 30_000 });
    await shot('05-exported-camtrap-dp');
    expect(checkCamtrapDpPackage(join(catalog, 'export/camtrap-dp')).problems).toEqual([]);
  });

  it('exports the Wildbook bulk-import sheet', async () => {
    await page.getByRole('button', { name: /Camtrap DP package/ }).click();
    await page.getByRole('menuitem', { name: /Wildbook bulk import/ }).click();
    const form = page.getByRole('form', { name: /Export as Wildbook/ });
    await expect.poll(() => form.getByLabel('Genus').inputValue()).toBe('Tragelaphus');
    await form.getByLabel('Deployments CSV').fill(join(catalog, 'deployments.csv'));
    await form.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('status').getByText('wildbook-bulk-import.xlsx').waitFor({ timeout: 30_000 });
    await shot('06-exported-wildbook');
    // The two refused exports answered 400, as they should; nothing else went wrong in the page.
    expect(browser.errors.filter((error) => !/status of 400/.test(error))).toEqual([]);
  });
});
