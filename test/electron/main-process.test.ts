import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELECTRON_SQLITE_BINDING } from '../../src/main/electron-native.ts';
import { RENDERER_CSP } from '../../src/shared/csp.ts';
import { makeReviewCatalog } from '../e2e/review-catalog.ts';
import { hasPostgres, startCluster, type PgCluster } from '../fixtures/pg-cluster.ts';
import { initTeamStore } from '../../src/main/team/admin.ts';
import { catalogFile } from '../../src/main/catalog/layout.ts';

/**
 * The desktop app's main process as electron-vite builds it (out/main/index.js), run on plain Node with
 * a stand-in for the `electron` module (fake-electron.mjs): no Electron binary can be installed on this
 * machine, so this is how `npm start`'s wiring is checked here — the sandboxed window's options, the
 * pairx:// protocol with its CSP, IPC from the window only, and a real catalog opened and explained
 * through the built workbench thread, with better-sqlite3 loaded from where the prestart puts
 * Electron's build.
 */
const require = createRequire(import.meta.url);
const NODE_BINDING = join(
  dirname(require.resolve('better-sqlite3/package.json')),
  'build/Release/better_sqlite3.node',
);

interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: { kind: string; message: string };
}
interface Report {
  error?: string;
  window: Record<string, unknown>;
  preloadExists: boolean;
  loaded: string[];
  schemes: { scheme: string; privileges: Record<string, boolean> }[];
  newWindow: { action: string };
  navigationPrevented: boolean;
  permissionGranted: boolean | null;
  page: { status: number; csp: string | null; hasRoot: boolean };
  foreign: Outcome;
  info: Outcome;
  open: Outcome;
  annotations: number;
  pair: { a: number; b: number } | null;
  explained: { matches: number; provider: string };
  view: { status: number; type: string | null; bytes: number };
  missingMedia: number;
  syncRefused?: Outcome;
  syncFirst?: Outcome;
  syncAgain?: Outcome;
  forgotten?: Outcome;
  syncForgotten?: Outcome;
}

function runMain(catalog: string, appPath: string, extraEnv: Record<string, string> = {}): { report: Report; exitCode: number | null } {
  const run = spawnSync(
    process.execPath,
    ['--import', resolve('test/electron/register.mjs'), resolve('out/main/index.js')],
    {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, PAIRX_FAKE_CATALOG: catalog, PAIRX_FAKE_APP_PATH: appPath, ...extraEnv },
    },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('{"fakeElectron"'));
  if (!line)
    throw new Error(`the main process printed no report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  return { report: (JSON.parse(line) as { fakeElectron: Report }).fakeElectron, exitCode: run.status };
}

describe('desktop main process (built, on a stand-in Electron)', () => {
  let catalog: string;
  let checkout: string;
  let report: Report;
  let exitCode: number | null;
  let broken: string;
  let brokenReport: Report;
  let cluster: PgCluster | null = null;
  let userData: string;
  const teamPassword = 'app-secret';

  beforeAll(async () => {
    const build = spawnSync(
      process.execPath,
      [resolve('node_modules/electron-vite/bin/electron-vite.js'), 'build'],
      {
        encoding: 'utf8',
      },
    );
    if (build.status !== 0) throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);
    catalog = (await makeReviewCatalog()).folder;
    // Where npm start's prestart leaves better-sqlite3 for Electron; Node's build stands in for it.
    checkout = mkdtempSync(join(tmpdir(), 'pairx-checkout-'));
    mkdirSync(dirname(join(checkout, ELECTRON_SQLITE_BINDING)), { recursive: true });
    copyFileSync(NODE_BINDING, join(checkout, ELECTRON_SQLITE_BINDING));
    // Team mode: a team store on a throwaway PostgreSQL cluster, where PostgreSQL is installed.
    userData = mkdtempSync(join(tmpdir(), 'pairx-user-data-'));
    const team: Record<string, string> = { PAIRX_FAKE_USER_DATA: userData, PGPASSWORD: '', PGPASSFILE: '/nonexistent' };
    if (hasPostgres) {
      cluster = await startCluster();
      await initTeamStore(cluster.ownerUrl(), { appRole: cluster.appRole, password: cluster.ownerPassword });
      Object.assign(team, { PAIRX_FAKE_TEAM_URL: cluster.appUrl(), PAIRX_FAKE_TEAM_PASSWORD: cluster.appPassword });
    }
    const first = runMain(catalog, checkout, team);
    exitCode = first.exitCode;
    report = first.report;
    // The same with a file that is no binding where the prestart puts Electron's: the catalog must fail to
    // open, which shows that the workbench thread loads that one and not node_modules' own.
    broken = mkdtempSync(join(tmpdir(), 'pairx-checkout-'));
    mkdirSync(dirname(join(broken, ELECTRON_SQLITE_BINDING)), { recursive: true });
    writeFileSync(join(broken, ELECTRON_SQLITE_BINDING), 'not a shared library');
    brokenReport = runMain(catalog, broken).report;
  }, 300_000);

  afterAll(() => {
    cluster?.destroy();
    for (const folder of [catalog, checkout, broken, userData])
      if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('runs to a clean exit', () => {
    expect(report.error).toBeUndefined();
    expect(exitCode).toBe(0);
  });

  it('opens a sandboxed window on the app’s own protocol', () => {
    expect(report.window).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(report.preloadExists).toBe(true);
    expect(report.loaded).toEqual(['pairx://app/index.html']);
    expect(report.schemes.map((s) => s.scheme)).toEqual(['pairx']);
    expect(report.newWindow).toEqual({ action: 'deny' });
    expect(report.navigationPrevented).toBe(true);
    expect(report.permissionGranted).toBe(false);
  });

  it('serves the built renderer with the Content-Security-Policy', () => {
    expect(report.page.status).toBe(200);
    expect(report.page.hasRoot).toBe(true);
    expect(report.page.csp).toBe(RENDERER_CSP);
  });

  it('answers the window’s calls only', () => {
    expect(report.foreign).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    expect(report.info).toMatchObject({ ok: true, value: { mode: 'electron', canOpenCatalogs: true } });
  });

  it('opens a catalog, lists it and explains a pair through the workbench thread', () => {
    expect(report.open.ok).toBe(true);
    expect(report.annotations).toBe(12);
    expect(report.pair).not.toBeNull();
    expect(report.explained.matches).toBeGreaterThan(0);
    expect(report.explained.provider).toBe('cpu');
    expect(report.view).toMatchObject({ status: 200, type: 'image/png' });
    expect(report.view.bytes).toBeGreaterThan(1000);
    expect(report.missingMedia).toBe(404);
  });

  it.skipIf(!hasPostgres)('syncs from the window, keeping the password with safeStorage outside the catalog', () => {
    expect(report.syncRefused).toMatchObject({ ok: false, error: { message: expect.stringMatching(/refused the password of "pairx_app"/) } });
    expect(report.syncFirst).toMatchObject({ ok: true, value: { passwordRemembered: true, summary: { server: expect.stringMatching(/^pairx_app@127\.0\.0\.1:\d+\/team$/) } } });
    // The catalog remembers the server, the app the password: no argument needed the second time.
    expect(report.syncAgain).toMatchObject({ ok: true, value: { passwordRemembered: true } });
    expect(report.forgotten).toEqual({ ok: true, value: { forgotten: true } });
    expect(report.syncForgotten).toMatchObject({ ok: false, error: { message: expect.stringMatching(/asks for the password of "pairx_app"/) } });
    const vault = readFileSync(join(userData, 'team-passwords.json'), 'utf8');
    expect(vault).not.toContain(teamPassword);
    for (const file of [catalogFile(catalog), `${catalogFile(catalog)}-wal`].filter((f) => existsSync(f))) {
      expect(readFileSync(file).includes(Buffer.from(teamPassword)), file).toBe(false);
    }
  });

  it('loads better-sqlite3 from where npm start’s prestart puts Electron’s build', () => {
    expect(brokenReport.open.ok).toBe(false);
  });
});
