import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import pgPass from 'pgpass';
import { PairxError } from '../errors.ts';

/**
 * The team store's address: a PostgreSQL URL (postgres://user[:password]@host[:port]/database[?sslmode=…]).
 * The password is used for the connection and never kept: what a catalog remembers is `stored` (the URL
 * without it), what messages show is `label` (user@host:port/database). TLS is the URL's business
 * (`sslmode=verify-full`, with `sslrootcert=<file>` for a private CA), as for libpq.
 */
export interface ServerAddress {
  /** The URL without a password: what the catalog keeps. */
  stored: string;
  /** user@host:port/database, for messages. */
  label: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** The URL's own password, if it carries one. */
  urlPassword: string | null;
}

export function parseServerUrl(text: string): ServerAddress {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new PairxError('invalid-arguments', `not a PostgreSQL URL: ${redact(text)} (postgres://user@host:5432/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new PairxError('invalid-arguments', `not a PostgreSQL URL: ${redact(text)} (it starts postgres:// or postgresql://)`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(url.username);
  if (!url.hostname || !database || !user)
    throw new PairxError('invalid-arguments', `the team store's URL needs a user, a host and a database: postgres://user@host:5432/database, not ${redact(text)}`);
  const urlPassword = url.password === '' ? null : decodeURIComponent(url.password);
  url.password = '';
  const port = url.port === '' ? 5432 : Number(url.port);
  return {
    stored: url.toString(),
    label: `${user}@${url.hostname}:${port}/${database}`,
    host: url.hostname,
    port,
    user,
    database,
    urlPassword,
  };
}

/** A URL as it may be shown: any password replaced. */
export function redact(text: string): string {
  return text.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Seconds a connection attempt may take before the store counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to the store. The password is, in this order: the one given (the desktop app's safeStorage,
 * the browser mode's prompt), the URL's, $PGPASSWORD, the matching line of ~/.pgpass ($PGPASSFILE), as
 * libpq looks for it. Every failure is one line that names the server.
 */
export async function connect(address: ServerAddress, password?: string): Promise<pg.Client> {
  // The URL's parts (TLS from its sslmode included) as pg-connection-string reads them, without the
  // URL's (empty) password, which would take the place of the function below.
  const { password: _none, ...fromUrl } = parseIntoClientConfig(address.stored);
  const client = new pg.Client({
    ...fromUrl,
    // Called only when the server asks for a password.
    password: async () => {
      const found = password || address.urlPassword || process.env.PGPASSWORD || (await pgpassLine(address));
      if (!found)
        throw new PairxError('invalid-arguments', `the team store ${address.label} asks for the password of "${address.user}": give it in PGPASSWORD, ~/.pgpass, the URL or the app's sync form`);
      return found;
    },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'pairx',
  });
  // An error after connecting (the server shut down) must not crash the process; the query in hand fails.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw storeError(address, error);
  }
  return client;
}

function pgpassLine(address: ServerAddress): Promise<string | undefined> {
  return new Promise((resolve) =>
    pgPass({ host: address.host, port: address.port, database: address.database, user: address.user }, resolve),
  );
}

/** PostgreSQL's error fields we read (SQLSTATE and friends), or a socket error's code. */
interface DriverError {
  code?: string;
  message?: string;
}

/**
 * One line for any failure talking to the store, naming it: unreachable, refused password, no such
 * database, no team store yet, not allowed. What is not one of these keeps PostgreSQL's own message.
 */
export function storeError(address: ServerAddress, error: unknown): PairxError {
  if (error instanceof PairxError) return error;
  const { code, message = String(error) } = (error ?? {}) as DriverError;
  const where = `the team store ${address.label}`;
  const first = message.split('\n')[0];
  switch (code) {
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case '57P01': // admin_shutdown
    case '57P03': // cannot_connect_now
      return new PairxError('unavailable', `cannot reach ${where} (${code}); review goes on offline, sync again when it is reachable`);
    case '28P01':
    case '28000':
      return new PairxError('invalid-arguments', `${where} refused the password of "${address.user}" (give it in PGPASSWORD, ~/.pgpass or the app's sync form)`);
    case '3D000':
      return new PairxError('invalid-arguments', `${where}: there is no database "${address.database}" on ${address.host}:${address.port}`);
    case '42501':
      return new PairxError('invalid-arguments', `${where}: role "${address.user}" is not allowed to do that (${first}); see README, "Team mode: role rights"`);
    case '42P01':
    case '3F000':
      return new PairxError('invalid-arguments', `${where} holds no pairx team store yet; its owner runs \`pairx team init <url>\` first`);
  }
  if (/timeout/i.test(first)) return new PairxError('unavailable', `cannot reach ${where} (no answer within ${CONNECT_TIMEOUT_MS / 1000} s); review goes on offline`);
  if (/client password must be a (non-empty )?string|no password supplied/i.test(first))
    return new PairxError('invalid-arguments', `${where} asks for the password of "${address.user}": give it in PGPASSWORD, ~/.pgpass, the URL or the app's sync form`);
  if (/ssl|certificate|self.signed|tls/i.test(first)) return new PairxError('unavailable', `${where}: TLS failed (${first}); see the URL's sslmode`);
  if (/Connection terminated/i.test(first)) return new PairxError('unavailable', `cannot reach ${where} (the connection was closed); review goes on offline`);
  return new PairxError('internal', `${where}: ${first}`);
}
