import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMediaPath, type CallErrorKind, type JobProgressEvent } from '../../shared/bridge.ts';
import { RENDERER_CSP } from '../../shared/csp.ts';
import type { SyncSummary } from '../../shared/api.ts';
import {
  dispatchCall,
  statusOf,
  valueOf,
  type AppHandlers,
  type WorkbenchPort,
} from '../host/dispatch.ts';
import { PairxError } from '../errors.ts';
import { relativeInside } from '../paths.ts';
import { rendererFile } from '../host/static-files.ts';

export interface WorkbenchServerOptions {
  host: WorkbenchPort;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Defaults to 32 random bytes, hex. */
  token?: string;
  version?: string;
}

export interface WorkbenchServer {
  /** The address to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  // The token travels in the page's address: no Referer may carry it anywhere.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  extra: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  response.end(body);
}

const sendJson = (
  response: ServerResponse,
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
) =>
  send(response, status, JSON.stringify(value), 'application/json; charset=utf-8', {
    'Cache-Control': 'no-store',
    ...extra,
  });

/** `Server-Timing` (read by the UI benchmark through Resource Timing): where a request's time went. */
const serverTiming = (name: string, started: number) =>
  ({ 'Server-Timing': `${name};dur=${(performance.now() - started).toFixed(1)}` }) as Record<string, string>;

/** The kind of a request the server itself refuses (no token, another host, a wrong route or verb). */
const refusalKind = (status: number): CallErrorKind =>
  status === 404 ? 'not-found' : status === 500 ? 'internal' : status === 400 || status === 405 ? 'invalid-arguments' : 'unavailable';

const refuse = (response: ServerResponse, status: number, message: string) =>
  sendJson(response, status, { ok: false, error: { kind: refusalKind(status), message } });

/**
 * What the browser front refuses although the workbench allows it: a reviewer at another machine may
 * hold the token, so the workstation's files are written only inside the served catalog (an export to
 * any folder is the desktop app's).
 */
function browserRefusal(body: unknown, folder: string | null): string | null {
  const call = body as { method?: unknown; args?: { outDir?: unknown } } | null;
  if (call?.method !== 'catalog.export' || typeof call.args?.outDir !== 'string') return null;
  if (folder !== null && relativeInside(folder, call.args.outDir) !== null) return null;
  return `in the browser mode, exports go inside the catalog folder (${folder ?? 'none open'}), not to ${call.args.outDir}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PairxError('invalid-arguments', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Browser mode: the built renderer and the workbench API on 127.0.0.1 only. Every API, event and media
 * request must carry the session's random token (`Authorization: Bearer …`, or `?token=` where a
 * browser cannot set headers: <img>, EventSource, download links); the renderer's own files are public.
 * Requests naming another host are refused, so a web page cannot reach the server by DNS rebinding.
 */
export async function startWorkbenchServer(options: WorkbenchServerOptions): Promise<WorkbenchServer> {
  const { host, rendererDir } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const events = new Set<ServerResponse>();
  let port = 0;

  const app: AppHandlers = {
    'app.info': () => ({
      mode: 'browser',
      catalog: host.folder,
      canOpenCatalogs: false,
      version: options.version ?? '0.0.0',
    }),
    'app.openCatalog': ({ folder }) => {
      if (host.folder && folder === host.folder) return { catalog: host.folder };
      throw new PairxError(
        'unavailable',
        'this server serves one catalog; start `npm run serve -- <folder>` for another',
      );
    },
    'app.chooseFolder': () => ({ folder: null }),
    'app.exportPng': () => {
      throw new PairxError('unavailable', 'in the browser the picture is downloaded from /media/export');
    },
    'app.cancel': ({ callId }) => ({ cancelled: host.cancel(callId) }),
    // The browser mode keeps no password: the one typed in, else the server process's PGPASSWORD or ~/.pgpass.
    'app.sync': async ({ server, reviewer, password }) => ({
      summary: await valueOf<SyncSummary>(host.call('team.sync', { server, reviewer, password })),
      passwordRemembered: false,
    }),
    'app.forgetPassword': () => ({ forgotten: false }),
  };

  const stopForwarding = host.onProgress((event: JobProgressEvent) => {
    const frame = `event: progress\ndata: ${JSON.stringify(event)}\n\n`;
    for (const response of events) response.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const response of events) response.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const hostHeader = request.headers.host ?? '';
    if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`)
      return refuse(response, 421, 'wrong host');
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const path = url.pathname;
    const isApi = path.startsWith('/api/') || path.startsWith('/media/');
    if (isApi) {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!sameToken(bearer ?? url.searchParams.get('token'), token))
        return refuse(response, 401, 'missing or wrong token');
    }

    if (path === '/api/call') {
      if (request.method !== 'POST') return refuse(response, 405, 'POST only');
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request));
      } catch (error) {
        return refuse(response, 400, error instanceof PairxError ? error.message : 'the body is not JSON');
      }
      const refused = browserRefusal(body, host.folder);
      if (refused) return refuse(response, 403, refused);
      const started = performance.now();
      const outcome = await dispatchCall(host, app, body);
      return sendJson(response, statusOf(outcome), outcome, serverTiming('call', started));
    }

    if (path === '/api/events') {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      response.write(': connected\n\n');
      events.add(response);
      request.on('close', () => events.delete(response));
      return;
    }

    if (path.startsWith('/media/')) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'GET only');
      const media = parseMediaPath(path.slice('/media/'.length), url.searchParams);
      if (!media) return refuse(response, 404, 'no such media');
      const started = performance.now();
      const outcome = await host.media(media);
      if (!outcome.ok) return sendJson(response, statusOf(outcome), outcome);
      // A model-sized view changes with the active model (its size and crop), so it is never cached.
      const caching =
        media.kind === 'export' || media.kind === 'view'
          ? { 'Cache-Control': 'no-store' }
          : { 'Cache-Control': 'private, max-age=300' };
      const download =
        media.kind === 'export'
          ? { 'Content-Disposition': `attachment; filename="pairx-${media.a}-${media.b}.png"` }
          : ({} as Record<string, string>);
      if ('bytes' in outcome.value)
        return send(response, 200, Buffer.from(outcome.value.bytes), outcome.value.contentType, {
          ...caching,
          ...download,
          ...serverTiming('media', started),
        });
      response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': outcome.value.contentType, ...caching });
      createReadStream(outcome.value.file)
        .on('error', () => response.destroy())
        .pipe(response);
      return;
    }

    if (path.startsWith('/api/')) return refuse(response, 404, 'no such route');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'GET only');
    const file =
      rendererFile(rendererDir, path) ?? (path.includes('.') ? null : rendererFile(rendererDir, '/'));
    if (!file) return refuse(response, 404, 'not found');
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.contentType,
      'Cache-Control': path.startsWith('/assets/') ? 'max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file.file).pipe(response);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      console.error(error);
      if (!response.headersSent) refuse(response, 500, String((error as Error)?.message ?? error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      stopForwarding();
      clearInterval(heartbeat);
      for (const response of events) response.end();
      events.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
