import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PairxBridge } from '../../src/shared/bridge.ts';

/**
 * The preload runs only inside Electron; here `electron` is replaced by a stand-in that records what the
 * preload exposes and sends, so that its small surface can be checked without a window.
 */
const exposed: Record<string, unknown> = {};
const invoke = vi.fn();
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (name: string, value: unknown) => (exposed[name] = value) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) =>
      listeners.get(channel)?.delete(listener),
  },
}));

await import('../../src/preload/index.ts');
const bridge = exposed.pairx as PairxBridge;

beforeEach(() => invoke.mockReset());

describe('the preload bridge (window.pairx)', () => {
  it('exposes exactly call and on', () => {
    expect(Object.keys(exposed)).toEqual(['pairx']);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on']);
  });

  it('validates arguments with the shared schemas (defaults filled in) before sending them', async () => {
    invoke.mockResolvedValue({ ok: true, value: { model: 'm', queue: [], perAnnotation: [] } });
    await bridge.call('pairs.candidates', { k: 5 }, { callId: 'c1' });
    expect(invoke).toHaveBeenCalledWith('pairx:call', {
      method: 'pairs.candidates',
      args: expect.objectContaining({ k: 5, sameSide: true, excludeDecided: true }),
      callId: 'c1',
    });
  });

  it('refuses unknown methods and bad arguments without sending anything', async () => {
    await expect(bridge.call('shell.exec' as never, {} as never)).rejects.toThrow(
      /unknown method shell.exec/,
    );
    await expect(bridge.call('decisions.decide', { a: 1, b: 2, verdict: 'maybe' } as never)).rejects.toThrow(
      /verdict/,
    );
    await expect(bridge.call('pairs.explain', { a: -1, b: 2 })).rejects.toThrow();
    expect(invoke).not.toHaveBeenCalled();
  });

  it('turns an error outcome into a rejected promise with the workbench’s message', async () => {
    invoke.mockResolvedValue({
      ok: false,
      error: { kind: 'not-found', message: 'the photo of annotation 3 is missing' },
    });
    await expect(bridge.call('catalog.status')).rejects.toThrow('the photo of annotation 3 is missing');
  });

  it('subscribes to known events only, passes the payload alone, and unsubscribes', () => {
    const received: unknown[] = [];
    const unsubscribe = bridge.on('progress', (payload) => received.push(payload));
    const payload = {
      callId: 'c1',
      method: 'catalog.import',
      progress: { phase: 'import', done: 1, total: 2 },
    };
    for (const listener of listeners.get('pairx:event') ?? [])
      listener({ sender: 'secret' }, { event: 'progress', payload });
    expect(received).toEqual([payload]);
    unsubscribe();
    expect(listeners.get('pairx:event')?.size).toBe(0);
    expect(() => bridge.on('shutdown' as never, () => undefined)).toThrow(/unknown event/);
  });
});
