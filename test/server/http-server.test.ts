import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutcome, JobProgressEvent, MediaRequest } from '../../src/shared/bridge.ts';
import type { WorkbenchPort } from '../../src/main/host/dispatch.ts';
import type { Media } from '../../src/main/host/protocol.ts';
import { startWorkbenchServer, type WorkbenchServer } from '../../src/main/server/http-server.ts';

/** A workbench stand-in: records calls, answers media with fixed bytes, emits progress on demand. */
class FakePort implements WorkbenchPort {
  readonly folder = '/catalogs/nyala';
  readonly calls: { method: string; args: unknown; callId?: string }[] = [];
  readonly cancelled: string[] = [];
  private readonly listeners = new Set<(event: JobProgressEvent) => void>();

  async call(method: string, args: unknown, callId?: string): Promise<CallOutcome> {
    this.calls.push({ method, args, callId });
    if (method === 'catalog.status') return { ok: true, value: { folder: this.folder } };
    return { ok: false, error: { kind: 'not-found', message: `no ${method} here` } };
  }

  cancel(callId: string): boolean {
    this.cancelled.push(callId);
    return true;
  }

  async media(request: MediaRequest): Promise<CallOutcome<Media>> {
    if (request.kind === 'view' && request.annotationId === 7)
      return { ok: true, value: { contentType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]) } };
    return { ok: false, error: { kind: 'not-found', message: 'the photo of annotation 8 is missing' } };
  }

  onProgress(listener: (event: JobProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: JobProgressEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

let folder: string;
let server: WorkbenchServer;
let port: FakePort;
let base: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'pairx-server-'));
  const renderer = join(folder, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(folder, 'secret.txt'), 'do not serve');
  port = new FakePort();
  server = await startWorkbenchServer({ host: port, rendererDir: renderer, version: '1.2.3' });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

const call = (body: unknown, token: string | null = server.token) =>
  fetch(`${base}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

/** A raw GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local server (browser mode)', () => {
  it('listens on 127.0.0.1 with a long random token in the printed address', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[0-9a-f]{64}$`));
  });

  it('serves the renderer with a strict Content-Security-Policy and no referrer', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(200);
  });

  it('refuses API, event and media requests without the right token (401)', async () => {
    expect((await call({ method: 'catalog.status' }, null)).status).toBe(401);
    expect((await call({ method: 'catalog.status' }, 'f'.repeat(64))).status).toBe(401);
    expect((await fetch(`${base}/media/view/7`)).status).toBe(401);
    expect((await fetch(`${base}/media/view/7?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    expect(port.calls).toHaveLength(0);
  });

  it('answers calls with the token, passing the call id along', async () => {
    const response = await call({ method: 'catalog.status', args: {}, callId: 'c1' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, value: { folder: '/catalogs/nyala' } });
    expect(port.calls.at(-1)).toEqual({ method: 'catalog.status', args: {}, callId: 'c1' });
  });

  it('answers the shell’s methods itself, and errors as outcomes with a status', async () => {
    expect(await (await call({ method: 'app.info' })).json()).toEqual({
      ok: true,
      value: { mode: 'browser', catalog: '/catalogs/nyala', canOpenCatalogs: false, version: '1.2.3' },
    });
    const unknown = await call({ method: 'shell.exec', args: { command: 'rm' } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.kind).toBe('unknown-method');
    const invalid = await call({ method: 'app.cancel', args: { callId: 5 } });
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.message).toMatch(/callId/);
    const other = await call({ method: 'app.openCatalog', args: { folder: '/etc' } });
    expect(other.status).toBe(409);
    expect(await (await call({ method: 'app.cancel', args: { callId: 'job-1' } })).json()).toEqual({
      ok: true,
      value: { cancelled: true },
    });
    expect(port.cancelled).toEqual(['job-1']);
    const notJson = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('writes exports only inside the served catalog', async () => {
    const outside = await call({ method: 'catalog.export', args: { outDir: '/tmp/elsewhere' } });
    expect(outside.status).toBe(403);
    expect((await outside.json()).error.message).toMatch(
      /exports go inside the catalog folder.*\/tmp\/elsewhere/,
    );
    const traversal = await call({ method: 'catalog.export', args: { outDir: '/catalogs/nyala/../other' } });
    expect(traversal.status).toBe(403);
    const before = port.calls.length;
    await call({ method: 'catalog.export', args: { outDir: '/catalogs/nyala/exports/2026' } });
    await call({ method: 'catalog.export', args: {} });
    expect(port.calls.slice(before).map((c) => c.method)).toEqual(['catalog.export', 'catalog.export']);
  });

  it('serves media by annotation id only; paths and traversal are refused', async () => {
    const view = await fetch(`${base}/media/view/7?token=${server.token}`);
    expect(view.status).toBe(200);
    expect(view.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await view.arrayBuffer())]).toEqual([137, 80, 78, 71]);
    const missing = await fetch(`${base}/media/view/8?token=${server.token}`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toMatch(/missing/);
    for (const path of [
      '/media/thumb/..%2F..%2Fsecret.txt',
      '/media/photo/1%2F..%2F..',
      '/media/thumb/-1',
      '/media/file/secret.txt',
    ]) {
      expect((await fetch(`${base}${path}?token=${server.token}`)).status, path).toBe(404);
    }
    for (const path of ['/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/%2e%2e/secret.txt']) {
      const response = await fetch(`${base}${path}`);
      expect(await response.text(), path).not.toContain('do not serve');
    }
  });

  it('refuses requests for another host name (DNS rebinding)', async () => {
    expect(await getWithHost('/', `evil.example:${server.port}`)).toBe(421);
    expect(await getWithHost('/', `localhost:${server.port}`)).toBe(200);
  });

  it('streams job progress as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events?token=${server.token}`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    await reader.read(); // ": connected"
    port.emit({ callId: 'c9', method: 'catalog.import', progress: { phase: 'import', done: 3, total: 10 } });
    const { value } = await reader.read();
    const text = new TextDecoder().decode(value);
    expect(text).toContain('event: progress');
    expect(JSON.parse(text.split('data: ')[1])).toEqual({
      callId: 'c9',
      method: 'catalog.import',
      progress: { phase: 'import', done: 3, total: 10 },
    });
    controller.abort();
  });
});
