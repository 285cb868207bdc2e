import type { PairxBridge } from '../shared/bridge.ts';

declare global {
  interface Window {
    /** Set by the Electron preload (src/preload/index.ts); absent in a browser. */
    pairx?: PairxBridge;
  }
}
