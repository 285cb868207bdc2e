import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Progress } from '../../shared/api.ts';
import type { BridgeArgs, BridgeMethod, BridgeResult } from '../../shared/bridge.ts';
import { newCallId, type WorkbenchClient } from '../client/client.ts';

export const ClientContext = createContext<WorkbenchClient | null>(null);

export function useClient(): WorkbenchClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('no workbench client (ClientContext is missing)');
  return client;
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * One call's result for a view, called again when `deps` change or on reload(). Answers that arrive
 * after the view moved on (other deps) are dropped, so a slow answer never overwrites a newer one.
 */
export function useCall<M extends BridgeMethod>(
  method: M,
  args: BridgeArgs<M> | null,
  deps: readonly unknown[],
): Loaded<BridgeResult<M>> {
  const client = useClient();
  const [state, setState] = useState<{ data?: BridgeResult<M>; error?: Error; loading: boolean }>({
    loading: args !== null,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (args === null) {
      setState({ loading: false });
      return;
    }
    let live = true;
    setState((previous) => ({ data: previous.data, loading: true }));
    client.call(method, args).then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [client, method, generation, ...deps]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface JobState<M extends BridgeMethod> {
  running: boolean;
  progress: Progress | null;
  result: BridgeResult<M> | null;
  error: Error | null;
  start: (args: BridgeArgs<M>) => Promise<BridgeResult<M> | null>;
  cancel: () => void;
}

/** A long job (import, embed) with its progress events and a cancel that the workbench honours. */
export function useJob<M extends BridgeMethod>(method: M): JobState<M> {
  const client = useClient();
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [result, setResult] = useState<BridgeResult<M> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const callId = useRef<string | null>(null);

  useEffect(
    () =>
      client.on('progress', (event) => {
        if (event.callId === callId.current) setProgress(event.progress);
      }),
    [client],
  );

  const start = useCallback(
    async (args: BridgeArgs<M>) => {
      const id = newCallId();
      callId.current = id;
      setRunning(true);
      setProgress(null);
      setResult(null);
      setError(null);
      try {
        const value = await client.call(method, args, { callId: id });
        setResult(value);
        return value;
      } catch (failure) {
        setError(failure as Error);
        return null;
      } finally {
        if (callId.current === id) setRunning(false);
      }
    },
    [client, method],
  );

  const cancel = useCallback(() => {
    if (callId.current) void client.call('app.cancel', { callId: callId.current }).catch(() => undefined);
  }, [client]);

  return { running, progress, result, error, start, cancel };
}

/** localStorage, when the page may use it (a sandboxed or private window may refuse). */
export function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
