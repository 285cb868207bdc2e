/**
 * `npm run serve -- <catalog folder> [--port N] [--init] [--rebuild]`: the workbench in a browser. Serves
 * the built renderer and the API of one catalog on 127.0.0.1 and prints the address with its token.
 * Runs with tsx (`node --import tsx src/main/server/serve.ts`); the workbench itself runs in a worker
 * thread (src/main/host/workbench-worker.ts, loaded through tsx as well).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WorkbenchHost } from '../host/workbench-host.ts';
import { startWorkbenchServer } from './http-server.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rendererDir = resolve(repoRoot, 'out/renderer');

/** Builds the renderer into out/renderer with vite (a dev dependency) when it is missing or asked for. */
async function ensureRenderer(rebuild: boolean): Promise<void> {
  if (!rebuild && existsSync(resolve(rendererDir, 'index.html'))) return;
  process.stderr.write('building the renderer (out/renderer)…\n');
  const { build } = await import('vite');
  await build({ configFile: resolve(repoRoot, 'vite.renderer.config.ts'), logLevel: 'warn' });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      init: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stderr.write('usage: npm run serve -- <catalog folder> [--port N] [--init] [--rebuild]\n');
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port number: ${values.port}`);
  const folder = resolve(positionals[0]);

  await ensureRenderer(values.rebuild);
  const host = new WorkbenchHost({ entry: new URL('../host/workbench-worker.ts', import.meta.url) });
  const opened = await host.open(folder, values.init);
  if (!opened.ok) {
    await host.close();
    throw new Error(opened.error.message);
  }
  const version = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')).version as string;
  const server = await startWorkbenchServer({ host, rendererDir, port, version });
  // One line a script can parse; the token in it is the only key to this catalog.
  process.stdout.write(`pairx workbench: ${server.url}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(130);
    stopping = true;
    await server.close();
    await host.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`pairx serve: ${(error as Error).message}\n`);
  process.exit(1);
});
