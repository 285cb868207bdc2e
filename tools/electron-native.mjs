// Where `npm start`'s prestart (tools/electron-prestart.mjs) puts better-sqlite3 built for Electron, and
// where the desktop app's main process (src/main/electron-native.ts) looks for it; relative to the repository.
export const ELECTRON_SQLITE_DIR = 'node_modules/.pairx-electron/better-sqlite3';
export const ELECTRON_SQLITE_BINDING = `${ELECTRON_SQLITE_DIR}/build/Release/better_sqlite3.node`;
