import type { WorkbenchClient } from './client.ts';
import { createElectronClient } from './electron-client.ts';
import { createHttpClient } from './http-client.ts';

const TOKEN_KEY = 'pairx.token';

/**
 * The client for this window: Electron's preload bridge when it is there, otherwise the local server
 * that served this page, with the token from the address (`/?token=…`). The token is kept for the
 * tab's session and taken out of the address bar, so that it is not left in screenshots or history.
 */
export function connect(): WorkbenchClient {
  if (window.pairx) return createElectronClient(window.pairx);
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  if (!token)
    throw new Error('This page needs the address with its token that `npm run serve` printed (…/?token=…).');
  return createHttpClient({ origin: window.location.origin, token });
}
