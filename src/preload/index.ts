/**
 * The preload: exposes `window.pairx` (src/shared/bridge.ts's PairxBridge) and nothing else. Arguments
 * are validated with the shared schemas before they leave the window, unknown methods and events are
 * refused, and errors arrive as Error objects with the workbench's message.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  BRIDGE_EVENTS,
  IPC_CALL,
  IPC_EVENT,
  isBridgeMethod,
  parseBridgeArgs,
  type BridgeEvent,
  type BridgeEvents,
  type CallErrorKind,
  type CallOutcome,
  type PairxBridge,
} from '../shared/bridge.ts';

class BridgeCallError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeCallError';
  }
}

const bridge: PairxBridge = {
  async call(method, args, options) {
    if (!isBridgeMethod(method))
      throw new BridgeCallError('unknown-method', `unknown method ${String(method)}`);
    let parsed: unknown;
    try {
      parsed = parseBridgeArgs(method, args);
    } catch (error) {
      throw new BridgeCallError('invalid-arguments', (error as Error).message);
    }
    const outcome = (await ipcRenderer.invoke(IPC_CALL, {
      method,
      args: parsed,
      callId: options?.callId,
    })) as CallOutcome;
    if (!outcome.ok) throw new BridgeCallError(outcome.error.kind, outcome.error.message);
    return outcome.value as never;
  },
  on<E extends BridgeEvent>(event: E, listener: (payload: BridgeEvents[E]) => void) {
    if (!BRIDGE_EVENTS.includes(event)) throw new Error(`unknown event ${String(event)}`);
    // The IPC event object (with its sender) never reaches the page; only the payload does.
    const forward = (_event: IpcRendererEvent, message: { event: string; payload: BridgeEvents[E] }) => {
      if (message.event === event) listener(message.payload);
    };
    ipcRenderer.on(IPC_EVENT, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT, forward);
  },
};

contextBridge.exposeInMainWorld('pairx', bridge);
