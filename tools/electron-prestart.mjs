#!/usr/bin/env node
// `npm start`'s prestart: makes the desktop app runnable on this machine.
// 1. Electron's binary: fetched by electron's own install script when the install skipped it
//    (ELECTRON_SKIP_BINARY_DOWNLOAD=1, as CI and offline machines do).
// 2. better-sqlite3 rebuilt for Electron's ABI (it is a V8 addon; onnxruntime-node and sharp are N-API
//    and need nothing). After this, Node itself (npm test, the CLI, npm run serve) needs
//    `npm rebuild better-sqlite3` to get the Node build back.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const electronDir = dirname(require.resolve('electron/package.json'));
const run = (command, args) => {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const pathFile = join(electronDir, 'path.txt');
const binary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
if (!binary || !existsSync(binary)) {
  console.log('prestart: fetching the Electron binary (node node_modules/electron/install.js)…');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(
      'prestart: the Electron binary could not be downloaded; the browser mode works without it: npm run serve -- <catalog folder>',
    );
    process.exit(result.status ?? 1);
  }
}

// electron-rebuild skips modules already built for this Electron version (without --force).
console.log('prestart: building better-sqlite3 for Electron (npm run rebuild:electron)…');
run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['electron-rebuild', '--only', 'better-sqlite3']);
