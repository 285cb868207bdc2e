/**
 * The renderer's Content-Security-Policy: its own scripts and styles only, pictures from itself, the
 * `pairx:` protocol (Electron) or data:/blob: URLs, network only to itself, no remote content. The
 * local server and Electron's protocol handler send it as a header; the built page carries it as a
 * <meta> too (where `frame-ancestors` has no effect and is left out).
 */
const DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' pairx: data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
];

export const RENDERER_CSP = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');
export const RENDERER_CSP_META = DIRECTIVES.join('; ');
