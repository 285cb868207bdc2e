import { connect, parseServerUrl, storeError } from './connection.ts';
import { initServerSchema, type InitResult } from './server-schema.ts';

/**
 * `pairx team init <url>`: creates the team store's schema in the database the URL names, or brings it to
 * this pairx's version, and grants the application role its rights. Run by the database's owner (the
 * reviewers' role cannot create schemas); needs no catalog.
 */
export async function initTeamStore(url: string, options: { appRole?: string; password?: string } = {}): Promise<InitResult & { server: string }> {
  const address = parseServerUrl(url);
  const client = await connect(address, options.password);
  try {
    return { ...(await initServerSchema(client, address.label, { appRole: options.appRole })), server: address.label };
  } catch (error) {
    throw storeError(address, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
