#!/usr/bin/env node
// `npm start`'s prestart: makes the desktop app runnable on this machine.
// 1. Electron's binary: fetched by electron's own install script when the install skipped it
//    (ELECTRON_SKIP_BINARY_DOWNLOAD=1, as CI and offline machines do).
// 2. better-sqlite3 for Electron's ABI (it is a V8 addon; onnxruntime-node and sharp are N-API and need
//    nothing). Its prebuilt Electron binary goes to a folder of its own, which the desktop app loads
//    (better-sqlite3's `nativeBinding`, through PAIRX_SQLITE_BINDING), so that Node's build in
//    node_modules stays as it is and `npm test`, the CLI and `npm run serve` go on working.
//    Where no prebuilt binary is published, it is rebuilt in place with @electron/rebuild instead;
//    Node then needs `npm rebuild better-sqlite3` to get its own build back.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ELECTRON_SQLITE_DIR, ELECTRON_SQLITE_BINDING } from './electron-native.mjs';

const require = createRequire(import.meta.url);
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;

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

const sqliteDir = join(root, ELECTRON_SQLITE_DIR);
const sqlitePackage = require.resolve('better-sqlite3/package.json');
const sqliteVersion = JSON.parse(readFileSync(sqlitePackage, 'utf8')).version;
const stamp = join(sqliteDir, 'built-for.json');
const wanted = JSON.stringify({ betterSqlite3: sqliteVersion, electron: electronVersion, arch: process.arch });
if (existsSync(join(root, ELECTRON_SQLITE_BINDING)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
  process.exit(0);
}

console.log(`prestart: fetching better-sqlite3 ${sqliteVersion} built for Electron ${electronVersion} (prebuild-install)…`);
mkdirSync(sqliteDir, { recursive: true });
// prebuild-install reads the module's package.json in its working folder and unpacks build/Release there.
copyFileSync(sqlitePackage, join(sqliteDir, 'package.json'));
const prebuild = spawnSync(
  process.execPath,
  [createRequire(sqlitePackage).resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch],
  { cwd: sqliteDir, stdio: 'inherit' },
);
if (prebuild.status === 0 && existsSync(join(root, ELECTRON_SQLITE_BINDING))) {
  writeFileSync(stamp, wanted);
  process.exit(0);
}

console.log(
  'prestart: no prebuilt binary; rebuilding better-sqlite3 for Electron in place (npm run rebuild:electron).\n' +
    '          Afterwards, Node (npm test, the CLI, npm run serve) needs `npm rebuild better-sqlite3`.',
);
const rebuild = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['electron-rebuild', '--only', 'better-sqlite3'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
process.exit(rebuild.status ?? 1);
