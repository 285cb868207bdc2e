import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, workbenchHandlers } from '../../src/main/api-handlers.ts';
import { Workbench } from '../../src/main/workbench.ts';
import { megadetectorOutput, writeFieldFrame, writeJson, type FieldFrame } from '../fixtures/field-frames.ts';
import { apiCall, CHROMIUM, hasChromium, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';
import { DEMO_PHOTOS, SMALL_MODEL } from './review-catalog.ts';

/**
 * Boxes drawn by hand in the browser mode: a field frame with two nyala in it, both boxed with the
 * mouse, their sides set from the keyboard, both seen as annotations in the grid (their own
 * thumbnails) and in the review queue; one box changed, and its thumbnail and candidates change.
 * Screenshots go to test-artifacts/e2e-annotate/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-annotate');
if (!hasChromium) console.warn(`\n[e2e skipped] no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium)\n`);

/** Named photos beside the frame (left flanks of the frame's two animals among them), from the demo catalog. */
const NAMED = [
  ['106', '193_leftphoto.jpg', 'left'],
  ['106', '132_rightphoto.jpg', 'right'],
  ['123', '274_leftphoto.jpg', 'left'],
  ['123', '159_rightphoto.jpg', 'right'],
  ['134', '1000_leftphoto.jpg', 'left'],
  ['146', '224_leftphoto.jpg', 'left'],
  ['146', '292_leftphoto.jpg', 'left'],
] as const;

interface Listed {
  id: number;
  imageId: number;
  box: { x: number; y: number; w: number; h: number } | null;
  theta: number;
  side: string | null;
  name: string | null;
}

async function makeFrameCatalog(): Promise<{ folder: string; frame: FieldFrame }> {
  const folder = mkdtempSync(join(tmpdir(), 'pairx-e2e-annotate-'));
  const rows = ['image,name,side'];
  for (const [individual, file, side] of NAMED) {
    mkdirSync(join(folder, 'named'), { recursive: true });
    copyFileSync(join(DEMO_PHOTOS, individual, file), join(folder, 'named', `${individual}-${file}`));
    rows.push(`named/${individual}-${file},nyala-${individual},${side}`);
  }
  writeFileSync(join(folder, 'names.csv'), `${rows.join('\n')}\n`);
  // Two animals in one field frame: nyala-106 and nyala-123, left flanks.
  const frame = await writeFieldFrame(
    [join(DEMO_PHOTOS, '106', '132_leftphoto.jpg'), join(DEMO_PHOTOS, '123', '159_leftphoto.jpg')],
    join(folder, 'field', 'frame-0001.jpg'),
    11,
  );
  const workbench = Workbench.init(folder);
  const handlers = workbenchHandlers(workbench);
  try {
    await callApi(handlers, 'catalog.import', { annotationsCsv: join(folder, 'names.csv') });
    const added = await callApi(handlers, 'models.add', { path: SMALL_MODEL });
    await callApi(handlers, 'models.select', { id: added.id });
    await callApi(handlers, 'catalog.embed', { model: SMALL_MODEL });
  } finally {
    workbench.close();
  }
  return { folder, frame };
}

describe.skipIf(!hasChromium)('drawing boxes in Chromium (browser mode)', () => {
  let folder: string;
  let frame: FieldFrame;
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  let frameImageId: number;
  let boxIds: number[] = [];

  const shot = screenshots(ARTIFACTS, () => page);
  const call = async <T,>(method: string, args: unknown = {}): Promise<T> => {
    const { body } = await apiCall<T>(served, method, args);
    if (!body.ok) throw new Error(`${method}: ${body.error!.message}`);
    return body.value!;
  };
  const frameAnnotations = () => call<{ annotations: Listed[] }>('catalog.list', { imageId: frameImageId }).then((r) => r.annotations);

  /** Drags on the photo between two points given in the photo's own pixels. */
  async function dragOnPhoto(from: { x: number; y: number }, to: { x: number; y: number }) {
    const layer = page.locator('svg.box-layer');
    const rect = (await layer.boundingBox())!;
    const screen = (p: { x: number; y: number }) => ({ x: rect.x + (p.x * rect.width) / frame.width, y: rect.y + (p.y * rect.height) / frame.height });
    const a = screen(from);
    const b = screen(to);
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    for (let step = 1; step <= 8; step++) await page.mouse.move(a.x + ((b.x - a.x) * step) / 8, a.y + ((b.y - a.y) * step) / 8);
    await page.mouse.up();
  }

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    ({ folder, frame } = await makeFrameCatalog());
    // PAIRX_E2E_KEEP_BUILD=1 serves the renderer already built in out/renderer (while working on a test).
    ({ served, browser, page } = await openBrowserMode(folder, { rebuild: process.env.PAIRX_E2E_KEEP_BUILD !== '1' }));
    const photos = await call<{ photos: { id: number; path: string }[] }>('catalog.photos', {});
    frameImageId = photos.photos.find((p) => p.path === 'field/frame-0001.jpg')!.id;
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('lists photos with no animal marked and opens the frame in the photo view', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await page.getByLabel('Show').selectOption('photos');
    await page.getByLabel('Animals').selectOption('none');
    const cells = page.getByRole('list', { name: 'Photos' }).getByRole('listitem');
    await expect.poll(() => cells.count(), { timeout: 30_000 }).toBe(8); // every photo is still one whole-photo annotation
    await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].every((img) => (img as HTMLImageElement).naturalWidth > 0));
    await shot('01-photos-no-animal-marked');
    await page.getByRole('button', { name: /frame-0001\.jpg/ }).click();
    await page.locator('svg.box-layer[data-loaded="yes"]').waitFor({ timeout: 30_000 });
    await shot('02-photo-view-whole');
  });

  it('boxes both animals with the mouse and sets their sides from the keyboard', async () => {
    const [first, second] = frame.boxes;
    // The whole-photo annotation, selected, gets the first box (it keeps its id and history).
    await page.getByRole('list', { name: 'Annotations on this photo' }).getByRole('button').first().click();
    await dragOnPhoto({ x: first.x, y: first.y }, { x: first.x + first.w, y: first.y + first.h });
    await expect.poll(async () => (await frameAnnotations())[0]?.box !== null).toBe(true);
    await page.keyboard.press('l');
    await expect.poll(async () => (await frameAnnotations())[0].side).toBe('left');
    // Nothing selected: a drag on the photo draws a second box.
    await page.keyboard.press('Escape');
    await dragOnPhoto({ x: second.x, y: second.y }, { x: second.x + second.w, y: second.y + second.h });
    await expect.poll(async () => (await frameAnnotations()).length).toBe(2);
    // The new box is selected once the window has its answer.
    const listed2 = page.getByRole('list', { name: 'Annotations on this photo' }).getByRole('button');
    await expect.poll(() => listed2.count()).toBe(2);
    await expect.poll(() => listed2.nth(1).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('l');
    await expect.poll(async () => (await frameAnnotations()).map((a) => a.side)).toEqual(['left', 'left']);
    await shot('03-photo-view-two-boxes');

    const listed = await frameAnnotations();
    boxIds = listed.map((a) => a.id);
    // The boxes are where the animals were pasted, to a few pixels (a screen pixel is ~1.5 photo pixels here).
    listed.forEach((annotation, i) => {
      const truth = frame.boxes[i];
      for (const key of ['x', 'y', 'w', 'h'] as const) expect(Math.abs(annotation.box![key] - truth[key])).toBeLessThan(6);
      expect(annotation.theta).toBe(0);
    });
    // Ctrl+Z takes back this visit's last edit (the side), and Tab + L sets it again.
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await frameAnnotations())[1].side).toBe(null);
    // The window selects what the undo touched once its answer is shown; keys before that would race it.
    await page.getByRole('status').filter({ hasText: /^Undid the / }).waitFor();
    await expect.poll(() => listed2.nth(1).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Tab');
    await expect.poll(() => listed2.nth(0).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Tab');
    await expect.poll(() => listed2.nth(1).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('l');
    await expect.poll(async () => (await frameAnnotations()).map((a) => a.side)).toEqual(['left', 'left']);
  });

  it('shows both as annotations in the grid, each with its own crop, and the frame among photos with several', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByLabel('Show').selectOption('photos');
    await page.getByLabel('Animals').selectOption('several');
    const photos = page.getByRole('list', { name: 'Photos' }).getByRole('listitem');
    await expect.poll(() => photos.count(), { timeout: 30_000 }).toBe(1);
    await expect(photos.first().textContent()).resolves.toContain('2 animals');
    await shot('04-photos-several');

    await page.getByLabel('Show').selectOption('annotations');
    const cells = page.getByRole('list', { name: 'Annotations' }).getByRole('listitem');
    await expect.poll(() => cells.count(), { timeout: 30_000 }).toBe(9);
    await page.getByLabel(/Name or file/).fill('frame-0001');
    await expect.poll(() => cells.count()).toBe(2);
    await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].every((img) => (img as HTMLImageElement).naturalWidth > 0));
    // Each thumbnail is its box cut out: the animal photo's proportions, not the frame's.
    const ratios = await page.$$eval('.thumb img', (imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth / (img as HTMLImageElement).naturalHeight));
    frame.boxes.forEach((box, i) => expect(ratios[i]).toBeCloseTo(box.w / box.h, 1));
    expect(frame.width / frame.height).not.toBeCloseTo(frame.boxes[1].w / frame.boxes[1].h, 1);
    await shot('05-grid-two-annotations');
  });

  it('shows both in the review queue, with candidates of their own', async () => {
    await page.getByRole('button', { name: 'Review queue' }).click();
    const rows = page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const queue = await call<{ queue: { a: number; b: number }[] }>('pairs.candidates', {});
    for (const id of boxIds) expect(queue.queue.some((pair) => pair.a === id || pair.b === id)).toBe(true);
    const html = await page.locator('.queue-view, section').first().innerHTML();
    expect(html).toMatch(new RegExp(`thumb/(${boxIds.join('|')})\\?v=`));
    await shot('06-queue-with-boxes');
  });

  it('changes one box: its thumbnail and its candidates change', async () => {
    const target = boxIds[1];
    const stripBefore = await call<{ candidates: { b: number; similarity: number }[] }>('review.strip', { annotationId: target });
    const [before] = (await frameAnnotations()).filter((a) => a.id === target);

    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Catalog', exact: true }).click();
    await page.getByLabel('Show').selectOption('photos');
    await page.getByLabel('Animals').selectOption('several');
    await page.getByRole('button', { name: /frame-0001\.jpg/ }).click();
    await page.locator('svg.box-layer[data-loaded="yes"]').waitFor();
    await page.getByRole('list', { name: 'Annotations on this photo' }).getByRole('button').nth(1).click();
    // Drag its bottom-right handle to keep only the front half of the animal, then turn it 10° (E, E).
    const box = before.box!;
    await dragOnPhoto({ x: box.x + box.w, y: box.y + box.h }, { x: box.x + box.w / 2, y: box.y + box.h * 0.6 });
    await page.keyboard.press('e');
    await page.keyboard.press('e');
    await expect.poll(async () => (await frameAnnotations())[1].theta, { timeout: 10_000 }).toBeCloseTo((10 * Math.PI) / 180, 5);
    const [after] = (await frameAnnotations()).filter((a) => a.id === target);
    expect(after.box!.w).toBeCloseTo(box.w / 2, -1);
    await shot('07-photo-view-changed');

    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByLabel('Show').selectOption('annotations');
    await page.getByLabel(/Name or file/).fill('frame-0001');
    // The filter answers after a moment: wait for the frame's two crops, both loaded.
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('.thumb img')] as HTMLImageElement[];
      return imgs.length === 2 && imgs.every((img) => img.complete && img.naturalWidth > 0);
    });
    const ratios = await page.$$eval('.thumb img', (imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth / (img as HTMLImageElement).naturalHeight));
    expect(ratios[1]).toBeCloseTo(after.box!.w / after.box!.h, 1);
    await shot('08-grid-changed-thumbnail');

    // The queue waits for the new crop's vector; the candidates are the new crop's.
    const stripAfter = await call<{ candidates: { b: number; similarity: number }[] }>('review.strip', { annotationId: target });
    const describe = (strip: typeof stripBefore) => strip.candidates.map((c) => `${c.b}:${c.similarity.toFixed(4)}`).join(' ');
    expect(describe(stripAfter)).not.toBe(describe(stripBefore));
    await page.getByRole('button', { name: 'Review queue' }).click();
    await expect.poll(() => page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await shot('09-queue-after-change');
  });

  it('shows the whole photos with the boxes in the pair view (W)', async () => {
    const queue = await call<{ queue: { a: number; b: number }[] }>('pairs.candidates', {});
    const position = queue.queue.findIndex((pair) => boxIds.includes(pair.a) || boxIds.includes(pair.b));
    expect(position).toBeGreaterThanOrEqual(0);
    const rows = page.getByRole('listbox', { name: 'Candidate pairs' }).getByRole('option');
    await rows.nth(position).click();
    await page.keyboard.press('Enter');
    await page.locator('section.pair-view').waitFor();
    await page.keyboard.press('w');
    await page.locator('.whole-photo img').first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('.whole-photo img')].every((img) => (img as HTMLImageElement).naturalWidth > 0));
    expect(await page.locator('.whole-photo polygon').count()).toBe(2);
    await shot('10-pair-view-whole-photos');
    await page.keyboard.press('w');
    await expect.poll(() => page.locator('.whole-photo').count()).toBe(0);
  });

  it('evaluates the model on the catalog’s named annotations in Settings', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Evaluate the model on this catalog' }).click();
    const panel = page.getByLabel('Evaluation');
    await panel.waitFor({ timeout: 30_000 });
    const expected = await call<{ rank1: number; queries: number }>('catalog.evaluate', {});
    expect(expected.queries).toBeGreaterThan(0);
    await expect(panel.textContent()).resolves.toContain(`${(100 * expected.rank1).toFixed(1)} %`);
    await panel.scrollIntoViewIfNeeded();
    await shot('11-settings-evaluate');
  });

  it('imports camera-trap frames with their MegaDetector boxes from the import form', async () => {
    // Two new frames in a folder of their own (one animal each) and an empty one, with MegaDetector's output.
    const trap = join(folder, 'trap');
    const frames = [];
    for (const [i, [individual, file]] of [['134', '194_leftphoto.jpg'], ['146', '224_rightphoto.jpg']].entries())
      frames.push({ file: `trap-${i}.jpg`, frame: await writeFieldFrame([join(DEMO_PHOTOS, individual, file)], join(trap, `trap-${i}.jpg`), 40 + i) });
    // The empty frame: a scene without an animal (a photo's corner, blown up).
    await sharp(join(DEMO_PHOTOS, '75', readdirSync(join(DEMO_PHOTOS, '75'))[0]))
      .extract({ left: 0, top: 0, width: 120, height: 90 })
      .resize(900, 700)
      .jpeg()
      .toFile(join(trap, 'empty.jpg'));
    const md = megadetectorOutput(frames, 9, 2) as { images: { file: string; detections: unknown[] }[] };
    md.images.push({ file: 'empty.jpg', detections: [{ category: '1', conf: 0.04, bbox: [0.1, 0.2, 0.1, 0.3] }] });
    writeJson(join(trap, 'md.json'), md);

    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Catalog', exact: true }).click();
    await page.getByLabel('Folder').fill(trap);
    await page.getByLabel('Detections').fill(join(trap, 'md.json'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('.detections-result').waitFor({ timeout: 60_000 });
    await expect(page.locator('.detections-result').textContent()).resolves.toMatch(/md\.json \(MegaDetector 1\.4, threshold 0\.2\): 2 animal boxes added; \d+ below the threshold and 1 persons or vehicles left out/);
    await page.locator('.detections-result summary').click();
    await expect(page.locator('.detections-result li').allTextContents()).resolves.toEqual(['trap/empty.jpg']);
    await shot('12-import-detections');

    await page.getByLabel('Show').selectOption('photos');
    await page.getByLabel('Animals').selectOption('none');
    const cells = page.getByRole('list', { name: 'Photos' }).getByRole('listitem');
    await expect.poll(async () => (await cells.allTextContents()).some((text) => text.includes('empty.jpg') && text.includes('no animal marked'))).toBe(true);
    await page.getByLabel('Show').selectOption('annotations');
    await page.getByLabel(/Name or file/).fill('trap-');
    await expect.poll(() => page.getByRole('list', { name: 'Annotations' }).getByRole('listitem').count()).toBe(2);
    await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].every((img) => (img as HTMLImageElement).naturalWidth > 0));
    await shot('13-grid-detector-boxes');
    expect(browser.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
