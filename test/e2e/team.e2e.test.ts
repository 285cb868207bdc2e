import { cpSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../src/main/workbench.ts';
import { initTeamStore } from '../../src/main/team/admin.ts';
import { hasPostgres, NO_POSTGRES_NOTICE, startCluster, type PgCluster } from '../fixtures/pg-cluster.ts';
import { apiCall, canvasColours, hasChromium, CHROMIUM, type Browser, type ServedCatalog, emptyFolder, openBrowserMode, screenshots } from './harness.ts';
import { makeReviewCatalog } from './review-catalog.ts';

/**
 * Team mode in the browser mode, in Chromium: the Sync button (set up once, then one click; a wrong
 * password and a stopped server each one line), the Disputes view with who answered what (ana's "same"
 * and ben's "different" weigh alike, so the evidence leaves it open), the disputed pair with its PAIR-X
 * explanation one key away, and the lead's answer: a decision under the lead's name that weighs by the
 * accuracy the team set for the lead. Screenshots go to test-artifacts/e2e-team/.
 */
const ARTIFACTS = resolve('test-artifacts/e2e-team');
const ready = hasChromium && hasPostgres;
if (!hasChromium) console.warn(`\n[e2e skipped] no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium)\n`);
if (!hasPostgres) console.warn(NO_POSTGRES_NOTICE);

describe.skipIf(!ready)('team mode in Chromium (browser mode)', () => {
  let cluster: PgCluster;
  let url: string;
  let ana: string;
  let ben: string;
  let served: ServedCatalog;
  let browser: Browser;
  let page: Page;
  let pair: { a: number; b: number };
  const shot = screenshots(ARTIFACTS, () => page);
  const syncState = () => page.locator('.sync-state');

  beforeAll(async () => {
    emptyFolder(ARTIFACTS);
    cluster = await startCluster();
    await initTeamStore(cluster.ownerUrl(), { appRole: cluster.appRole, password: cluster.ownerPassword });
    url = cluster.appUrl();
    // The browser mode's server process (and this one) finds the password in PGPASSWORD.
    process.env.PGPASSWORD = cluster.appPassword;
    ana = (await makeReviewCatalog()).folder;
    ben = `${ana}-ben`;
    cpSync(ana, ben, { recursive: true });
    // ben, on his laptop: two unnamed left flanks of one nyala are different animals, he says.
    const benWorkbench = Workbench.open(ben);
    const unnamed = benWorkbench.list().annotations.filter((a) => a.name === null);
    const named = benWorkbench.list().annotations.filter((a) => a.name !== null && a.side === 'left');
    pair = { a: unnamed[0].id, b: named.find((a) => a.image.split('/')[0] === unnamed[0].image.split('/')[0])!.id };
    benWorkbench.decide(pair.a, pair.b, 'different', { reviewer: 'ben' });
    await benWorkbench.team.sync({ server: url });
    benWorkbench.close();
    ({ served, browser, page } = await openBrowserMode(ana));
    // lea, the lead, works on ana's laptop; the team trusts her answers more.
    await apiCall(served, 'settings.set', { reviewer: 'lea' });
    await apiCall(served, 'reviewers.set', { reviewer: 'lea', accuracy: 0.999 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    cluster?.destroy();
    for (const folder of [ana, ben]) if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('sets up the team store from the Sync button, then syncs with one click', async () => {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Open catalog' }).click();
    await expect.poll(() => syncState().textContent()).toBe('Team: not set up');
    // ana says "same" on the pair ben called different.
    const decided = await apiCall(served, 'decisions.decide', { ...pair, verdict: 'same', reviewer: 'ana' });
    expect(decided.status).toBe(200);
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync with the team store' });
    await dialog.getByLabel('Server').fill(url);
    // Under load the catalog's settings may answer after the form opened; the field fills in then.
    await expect.poll(() => dialog.getByLabel('Reviewer').inputValue(), { timeout: 30_000 }).toBe('lea');
    await shot('01-sync-form');
    await dialog.getByRole('button', { name: 'Sync', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    // ana's answer and lea's accuracy go up, ben's answer comes down.
    await expect.poll(() => syncState().textContent(), { timeout: 30_000 }).toMatch(/^synced \d\d:\d\d \(↑2 ↓1\) · 1 dispute$/);
    expect(await page.getByRole('button', { name: /Disputes/ }).textContent()).toBe('Disputes1');
    await shot('02-synced');
    // The catalog remembers the server (never the password): the next sync is one click.
    expect((await apiCall<{ url: string }>(served, 'team.status')).body.value!.url).toBe(url);
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    await expect.poll(() => syncState().textContent(), { timeout: 30_000 }).toMatch(/^synced \d\d:\d\d \(↑0 ↓0\) · 1 dispute$/);
  });

  it('lists the dispute with who answered what, shows the pair with PAIR-X one key away, and takes the lead’s answer', async () => {
    await page.getByRole('button', { name: /Disputes/ }).click();
    const disputes = page.getByRole('listbox', { name: 'Disputes' }).getByRole('option');
    await expect.poll(() => disputes.count(), { timeout: 30_000 }).toBe(1);
    const text = await disputes.first().textContent();
    expect(text).toContain('answers differ');
    expect(text).toMatch(/ben: different, ana: same on \S+\.jpg – \S+\.jpg; the evidence: \d+ % one animal/);
    expect(text).toMatch(/ben.*different.*ana.*same/s);
    await page.waitForFunction(() => [...document.querySelectorAll('.dispute-thumb')].every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0));
    await shot('03-disputes');

    await page.keyboard.press('Enter');
    const view = page.locator('section.pair-view');
    await view.waitFor();
    expect([Number(await view.getAttribute('data-a')), Number(await view.getAttribute('data-b'))].sort()).toEqual([pair.a, pair.b].sort());
    await page.waitForFunction(() => !document.body.textContent?.includes('computing matches'), null, { timeout: 120_000 });
    expect(await canvasColours(page, '.pair-canvas canvas')).toBeGreaterThan(200);
    await shot('04-disputed-pair');
    await page.keyboard.press('Escape');
    await page.getByRole('listbox', { name: 'Disputes' }).waitFor();

    // The lead says "same": one decision under her name, nothing taken back; it weighs as her accuracy says,
    // which settles the pair.
    await page.keyboard.press('s');
    await page.getByRole('status').filter({ hasText: /Settled: same/ }).waitFor({ timeout: 30_000 });
    await expect.poll(() => disputes.count()).toBe(0);
    await page.getByText('No disputes: the team’s answers agree.').waitFor();
    await shot('05-settled');
    const log = (await apiCall<{ verdict: string; reviewer: string }[]>(served, 'decisions.list')).body.value!;
    expect(log.map((d) => [d.verdict, d.reviewer])).toEqual([
      ['same', 'ana'],
      ['different', 'ben'],
      ['same', 'lea'],
    ]);
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    await expect.poll(() => syncState().textContent(), { timeout: 30_000 }).toMatch(/^synced \d\d:\d\d \(↑1 ↓0\)$/);
  });

  it('says in one line when the password is refused or the server is down; reviewing goes on', async () => {
    await page.getByRole('button', { name: 'Server…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync with the team store' });
    await dialog.getByLabel('Password').fill('not-the-password');
    await dialog.getByRole('button', { name: 'Sync', exact: true }).click();
    await dialog.getByRole('alert').getByText(`refused the password of "pairx_app"`, { exact: false }).waitFor({ timeout: 30_000 });
    await shot('06-wrong-password');
    await dialog.getByRole('button', { name: 'Cancel (Esc)' }).click();

    cluster.stop();
    try {
      await page.getByRole('button', { name: 'Sync', exact: true }).click();
      await expect
        .poll(() => syncState().textContent(), { timeout: 30_000 })
        .toBe(`Sync failed: cannot reach the team store pairx_app@127.0.0.1:${cluster.port}/team (ECONNREFUSED); review goes on offline, sync again when it is reachable`);
      await shot('07-server-down');
      // Deciding needs no server.
      expect((await apiCall(served, 'decisions.decide', { ...pair, verdict: 'unsure', reviewer: 'ana' })).status).toBe(200);
    } finally {
      cluster.start();
    }
    expect(browser.errors.filter((error) => !/status of (4\d\d|5\d\d)/.test(error))).toEqual([]);
  });
});
