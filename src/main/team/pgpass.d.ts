/** pgpass (node-postgres's reader of ~/.pgpass) ships no types: the one function it exports. */
declare module 'pgpass' {
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  export default function pgPass(connection: ConnectionInfo, callback: (password: string | undefined) => void): void;
}
