/* global Request, Response, setTimeout */
/**
 * A stand-in for the `electron` module, enough to run the built main process (out/main/index.js) on
 * plain Node: it records what the main process sets up (window options, protocol, IPC, permission
 * handler), then plays the part of the window — loads the page through the protocol, calls the API
 * over the IPC handler as the preload would — and prints what it saw as one JSON line when the app
 * exits. PAIRX_FAKE_CATALOG names the catalog folder to open; PAIRX_FAKE_APP_PATH the app's path.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const seen = { windows: [], loaded: [], ipc: new Map(), protocols: new Map(), schemes: [], permission: null };
const appEvents = new EventEmitter();

class WebContents extends EventEmitter {
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
  send() {}
}

export class BrowserWindow extends EventEmitter {
  static all = [];
  static getAllWindows() {
    return BrowserWindow.all;
  }
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    BrowserWindow.all.push(this);
    seen.windows.push(this);
  }
  async loadURL(url) {
    seen.loaded.push(url);
  }
}

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => seen.schemes.push(...schemes),
  handle: (scheme, handler) => seen.protocols.set(scheme, handler),
};

export const ipcMain = { handle: (channel, handler) => seen.ipc.set(channel, handler) };

export const session = {
  defaultSession: { setPermissionRequestHandler: (handler) => (seen.permission = handler) },
};

export const net = {
  // Electron's net.fetch reads file: URLs; Node's fetch does not.
  fetch: async (url) => new Response(readFileSync(fileURLToPath(url))),
};

export const shell = { openExternal: async () => undefined };

// A stand-in for the operating system's encryption: reversible, and never the plain text.
export const safeStorage = {
  isEncryptionAvailable: () => true,
  encryptString: (text) => Buffer.from(`sealed:${Buffer.from(text).toString('base64').split('').reverse().join('')}`),
  decryptString: (data) => Buffer.from(String(data).slice('sealed:'.length).split('').reverse().join(''), 'base64').toString(),
};
export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true }),
};

let exiting = false;
export const app = {
  isPackaged: false,
  getAppPath: () => process.env.PAIRX_FAKE_APP_PATH ?? process.cwd(),
  getVersion: () => '0.0.0-test',
  getPath: (name) => {
    if (name !== 'userData') throw new Error(`no path ${name}`);
    return process.env.PAIRX_FAKE_USER_DATA ?? process.cwd();
  },
  enableSandbox: () => undefined,
  on: (event, listener) => appEvents.on(event, listener),
  quit: () => {
    const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
    appEvents.emit('will-quit', event);
    if (!event.defaultPrevented) app.exit(0);
  },
  exit: (code) => {
    if (exiting) return;
    exiting = true;
    process.stdout.write(`${JSON.stringify({ fakeElectron: report })}\n`);
    process.exit(code);
  },
  whenReady: () => {
    setTimeout(() => void playWindow().catch((error) => fail(error)), 0);
    return Promise.resolve();
  },
};

const report = {};
function fail(error) {
  report.error = String(error?.stack ?? error);
  app.exit(1);
}

async function playWindow() {
  const [window] = seen.windows;
  report.window = window.options.webPreferences;
  report.preloadExists = existsSync(window.options.webPreferences.preload);
  report.loaded = seen.loaded;
  report.schemes = seen.schemes;
  report.newWindow = window.webContents.windowOpenHandler({ url: 'https://example.org/' });
  const navigation = { prevented: false, preventDefault: () => (navigation.prevented = true) };
  window.webContents.emit('will-navigate', navigation, 'https://example.org/');
  report.navigationPrevented = navigation.prevented;
  let granted = null;
  seen.permission(null, 'media', (answer) => (granted = answer));
  report.permissionGranted = granted;

  const serve = seen.protocols.get('pairx');
  const page = await serve(new Request('pairx://app/index.html'));
  const html = await page.text();
  report.page = {
    status: page.status,
    csp: page.headers.get('content-security-policy'),
    hasRoot: html.includes('id="root"'),
  };

  const [[, handle]] = [...seen.ipc];
  const fromWindow = { senderFrame: { url: 'pairx://app/index.html' } };
  const call = (method, args = {}, event = fromWindow) => handle(event, { method, args });
  report.foreign = await call('app.info', {}, { senderFrame: { url: 'https://example.org/' } });
  report.info = await call('app.info');
  report.open = await call('app.openCatalog', { folder: process.env.PAIRX_FAKE_CATALOG });
  const list = await call('catalog.list');
  report.annotations = list.ok ? list.value.annotations.length : list;
  const candidates = await call('pairs.candidates', {});
  const pair = candidates.ok ? candidates.value.queue[0] : null;
  report.pair = pair;
  if (pair) {
    const explained = await call('pairs.explain', { a: pair.a, b: pair.b, kLines: 10, kColors: 3 });
    report.explained = explained.ok
      ? { matches: explained.value.matches.length, provider: explained.value.provider }
      : explained;
    const view = await serve(new Request(`pairx://app/media/view/${pair.a}`));
    report.view = {
      status: view.status,
      type: view.headers.get('content-type'),
      bytes: (await view.arrayBuffer()).byteLength,
    };
  }
  const missing = await serve(new Request('pairx://app/media/thumb/99999'));
  report.missingMedia = missing.status;
  if (process.env.PAIRX_FAKE_TEAM_URL) {
    // Team mode through the window's Sync: the password given once with "remember", then not at all.
    const server = process.env.PAIRX_FAKE_TEAM_URL;
    report.syncRefused = await call('app.sync', { server, reviewer: 'ana', password: 'wrong', remember: true });
    report.syncFirst = await call('app.sync', { server, reviewer: 'ana', password: process.env.PAIRX_FAKE_TEAM_PASSWORD, remember: true });
    report.syncAgain = await call('app.sync', {});
    report.forgotten = await call('app.forgetPassword', { server });
    report.syncForgotten = await call('app.sync', {});
  }
  app.quit();
}

export default { app, BrowserWindow, dialog, ipcMain, net, protocol, safeStorage, session, shell };
