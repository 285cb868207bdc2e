import { mediaPath, type PairxBridge } from '../../shared/bridge.ts';
import type { WorkbenchClient } from './client.ts';

/** Electron: the preload's `window.pairx`; pictures come from the `pairx:` protocol. */
export function createElectronClient(bridge: PairxBridge): WorkbenchClient {
  return {
    mode: 'electron',
    call: (method, args, options) => bridge.call(method, args, options),
    on: (event, listener) => bridge.on(event, listener),
    mediaUrl: (request) => `pairx://app/media/${mediaPath(request)}`,
    async exportPicture(args) {
      const { savedTo } = await bridge.call('app.exportPng', args);
      return savedTo;
    },
  };
}
