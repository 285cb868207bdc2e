import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { relativeInside } from '../paths.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The built renderer's file for a URL path ('/' is index.html), or null: anything outside the build
 * folder (`..`, encoded or not) and anything that is not a plain file is refused.
 */
export function rendererFile(root: string, urlPath: string): { file: string; contentType: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = resolve(join(root, relative));
  if (relativeInside(root, file) === null) return null;
  if (!existsSync(file) || !statSync(file).isFile()) return null;
  return { file, contentType: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' };
}
