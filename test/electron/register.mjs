// `node --import ./test/electron/register.mjs out/main/index.js`: the built main process on plain Node,
// with the stand-in Electron of fake-electron.mjs.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
