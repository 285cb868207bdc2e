import { mediaPath, type BridgeEvent, type BridgeEvents, type CallOutcome } from '../../shared/bridge.ts';
import { CallFailed, type WorkbenchClient } from './client.ts';

export interface HttpClientOptions {
  /** The server's origin, e.g. http://127.0.0.1:5123 */
  origin: string;
  token: string;
  fetch?: typeof fetch;
  /** For the download of exported pictures; absent outside a page. */
  document?: Document;
}

/**
 * The browser front's client: the same interface as Electron's `window.pairx`, over the local server
 * (src/main/server/http-server.ts). Calls are POST /api/call with the session token as a bearer token;
 * pictures and events carry it in the query, where a browser cannot set headers.
 */
export function createHttpClient(options: HttpClientOptions): WorkbenchClient {
  const { origin, token } = options;
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const listeners = new Map<BridgeEvent, Set<(payload: never) => void>>();
  let source: EventSource | null = null;

  const withToken = (path: string) =>
    `${origin}/${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

  function ensureEvents(): void {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(withToken('api/events'));
    source.addEventListener('progress', (event) => {
      const payload = JSON.parse((event as MessageEvent<string>).data) as BridgeEvents['progress'];
      for (const listener of listeners.get('progress') ?? [])
        (listener as (p: BridgeEvents['progress']) => void)(payload);
    });
  }

  const client: WorkbenchClient = {
    mode: 'browser',
    async call(method, args, callOptions) {
      let response: Response;
      try {
        response = await doFetch(`${origin}/api/call`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify({ method, args: args ?? {}, callId: callOptions?.callId }),
        });
      } catch (error) {
        throw new CallFailed(
          'unavailable',
          `the workbench server does not answer (${(error as Error).message}); is \`npm run serve\` still running?`,
        );
      }
      let outcome: CallOutcome;
      try {
        outcome = (await response.json()) as CallOutcome;
      } catch {
        throw new CallFailed('internal', `the server answered ${response.status} without a result`);
      }
      if (response.status === 401)
        throw new CallFailed(
          'unavailable',
          'the server refused this page’s token; open the address `npm run serve` printed',
        );
      if (!outcome.ok) throw new CallFailed(outcome.error.kind, outcome.error.message);
      return outcome.value as never;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      ensureEvents();
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
    mediaUrl: (request) => withToken(`media/${mediaPath(request)}`),
    async exportPicture(args) {
      const url = withToken(`media/${mediaPath({ kind: 'export', ...args })}`);
      // Fetched first, so that a failure (a missing photo) is shown as a message instead of a broken download.
      const response = await doFetch(url);
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as CallOutcome | null;
        throw new CallFailed(
          body && !body.ok ? body.error.kind : 'internal',
          body && !body.ok ? body.error.message : `export failed (${response.status})`,
        );
      }
      const blob = await response.blob();
      const name = `pairx-${args.a}-${args.b}.png`;
      const doc = options.document ?? (typeof document !== 'undefined' ? document : undefined);
      if (doc) {
        const link = doc.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = name;
        doc.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      }
      return name;
    },
  };
  return client;
}
