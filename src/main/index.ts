/**
 * The Electron entry: one sandboxed window, the `pairx:` protocol that serves the renderer and the
 * catalog's pictures, and the IPC route from the preload to the workbench. Thin on purpose: the
 * workbench runs in a worker thread (host/workbench-worker.ts) so that onnxruntime never blocks this
 * thread, and every method is answered by host/dispatch.ts exactly as the local server answers it.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, safeStorage, session, shell } from 'electron';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SyncSummary } from '../shared/api.ts';
import { IPC_CALL, IPC_EVENT, parseMediaPath } from '../shared/bridge.ts';
import { RENDERER_CSP } from '../shared/csp.ts';
import { PairxError } from './errors.ts';
import { dispatchCall, statusOf, valueOf, type AppHandlers } from './host/dispatch.ts';
import { rendererFile } from './host/static-files.ts';
import { electronSqliteBinding } from './electron-native.ts';
import { WorkbenchHost } from './host/workbench-host.ts';
import { PasswordVault } from './password-vault.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = join(here, '../renderer');
const APP_ORIGIN = 'pairx://app';
/** Set by `electron-vite dev`: the renderer comes from vite's dev server (hot reload). */
const DEV_RENDERER_URL = process.env.ELECTRON_RENDERER_URL;

protocol.registerSchemesAsPrivileged([
  { scheme: 'pairx', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const host = new WorkbenchHost({
  entry: join(here, 'workbench-worker.js'),
  // The packaged app's bundled models (electron-builder's extraResources) for the worker thread.
  env: {
    ...process.env,
    PAIRX_MODELS_DIR:
      process.env.PAIRX_MODELS_DIR ?? (app.isPackaged ? join(process.resourcesPath, 'models') : undefined),
    // A development checkout keeps Node's better-sqlite3 build for npm test and loads Electron's from beside it.
    PAIRX_SQLITE_BINDING:
      process.env.PAIRX_SQLITE_BINDING ?? electronSqliteBinding(app.getAppPath(), app.isPackaged),
  },
});

let window: BrowserWindow | null = null;
let vault: PasswordVault | null = null;
/** Team-store passwords, encrypted with safeStorage, in the app's data folder (never in a catalog). */
const passwords = (): PasswordVault =>
  (vault ??= new PasswordVault(join(app.getPath('userData'), 'team-passwords.json'), safeStorage));


const appHandlers: AppHandlers = {
  'app.info': () => ({
    mode: 'electron',
    catalog: host.folder,
    canOpenCatalogs: true,
    version: app.getVersion(),
  }),
  'app.openCatalog': async ({ folder, create }) => {
    const outcome = await host.open(folder, create);
    if (!outcome.ok) throw new PairxError(outcome.error.kind, outcome.error.message);
    return outcome.value;
  },
  'app.chooseFolder': async () => {
    const options: Electron.OpenDialogOptions = { properties: ['openDirectory', 'createDirectory'] };
    const chosen = await (window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options));
    return { folder: chosen.canceled ? null : (chosen.filePaths[0] ?? null) };
  },
  'app.exportPng': async ({ a, b, ...settings }) => {
    const picture = await host.media({ kind: 'export', a, b, ...settings });
    if (!picture.ok) throw new PairxError(picture.error.kind, picture.error.message);
    const options: Electron.SaveDialogOptions = {
      defaultPath: `pairx-${a}-${b}.png`,
      filters: [{ name: 'PNG', extensions: ['png'] }],
    };
    const target = await (window ? dialog.showSaveDialog(window, options) : dialog.showSaveDialog(options));
    if (target.canceled || !target.filePath) return { savedTo: null };
    const media = picture.value;
    await writeFile(target.filePath, 'bytes' in media ? media.bytes : await readFile(media.file));
    return { savedTo: target.filePath };
  },
  'app.cancel': ({ callId }) => ({ cancelled: host.cancel(callId) }),
  'app.sync': async ({ server, reviewer, password, remember }) => {
    const url = server ?? (await valueOf<{ url: string | null }>(host.call('team.status', {}))).url;
    const kept = password || !url ? undefined : passwords().get(url);
    const summary = await valueOf<SyncSummary>(host.call('team.sync', { server, reviewer, password: password || kept }));
    // Remembered only once the store has taken it, so a mistyped password is never kept.
    const passwordRemembered = password && remember && url ? passwords().remember(url, password) : kept !== undefined;
    return { summary, passwordRemembered };
  },
  'app.forgetPassword': ({ server }) => ({ forgotten: passwords().forget(server) }),
};

/** `pairx://app/…`: the built renderer, and `pairx://app/media/…` the catalog's pictures (by annotation id). */
async function serveProtocol(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const headers = { 'Content-Security-Policy': RENDERER_CSP, 'X-Content-Type-Options': 'nosniff' };
  if (url.host !== 'app') return new Response('not found', { status: 404, headers });
  if (url.pathname.startsWith('/media/')) {
    const media = parseMediaPath(url.pathname.slice('/media/'.length), url.searchParams);
    if (!media) return new Response('no such media', { status: 404, headers });
    const outcome = await host.media(media);
    if (!outcome.ok)
      return new Response(outcome.error.message, { status: statusOf(outcome), headers });
    const body = 'bytes' in outcome.value ? outcome.value.bytes : await readFile(outcome.value.file);
    return new Response(new Uint8Array(body), {
      headers: { ...headers, 'Content-Type': outcome.value.contentType },
    });
  }
  const file = rendererFile(RENDERER_DIR, url.pathname);
  if (!file) return new Response('not found', { status: 404, headers });
  const response = await net.fetch(pathToFileURL(file.file).href);
  return new Response(response.body, { headers: { ...headers, 'Content-Type': file.contentType } });
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'PAIR-X workbench',
    backgroundColor: '#1d1f23',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const contents = window.webContents;
  // The window shows this app only: no new windows, no navigation away (links open in the browser).
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`) && !(DEV_RENDERER_URL && url.startsWith(DEV_RENDERER_URL)))
      event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.on('closed', () => (window = null));
  void (DEV_RENDERER_URL ? window.loadURL(DEV_RENDERER_URL) : window.loadURL(`${APP_ORIGIN}/index.html`));
}

const fromOurWindow = (event: Electron.IpcMainInvokeEvent): boolean => {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`) || (!!DEV_RENDERER_URL && url.startsWith(DEV_RENDERER_URL));
};

app.enableSandbox();
app.whenReady().then(() => {
  protocol.handle('pairx', serveProtocol);
  // No permission (camera, notifications, …) is ever needed.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ipcMain.handle(IPC_CALL, (event, request: unknown) => {
    if (!fromOurWindow(event))
      return { ok: false, error: { kind: 'unavailable', message: 'not from the workbench window' } };
    return dispatchCall(host, appHandlers, request);
  });
  host.onProgress((progress) =>
    window?.webContents.send(IPC_EVENT, { event: 'progress', payload: progress }),
  );
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('will-quit', (event) => {
  if (quitting) return;
  quitting = true;
  event.preventDefault();
  void host.close().finally(() => app.exit(0));
});
