import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * better-sqlite3 built for Electron's ABI, as `npm start`'s prestart (tools/electron-prestart.mjs)
 * leaves it beside Node's own build; tools/electron-native.mjs says the same (a test keeps them equal).
 */
export const ELECTRON_SQLITE_BINDING =
  'node_modules/.pairx-electron/better-sqlite3/build/Release/better_sqlite3.node';

/**
 * The better-sqlite3 binding the desktop app's workbench thread should load, or undefined for the one in
 * node_modules: a packaged app has its node_modules rebuilt for Electron by electron-builder, and a
 * development checkout whose prestart could only rebuild in place has no separate binding either.
 */
export function electronSqliteBinding(appPath: string, packaged: boolean): string | undefined {
  if (packaged) return undefined;
  const binding = join(appPath, ELECTRON_SQLITE_BINDING);
  return existsSync(binding) ? binding : undefined;
}
