import { ZodError } from 'zod';
import type { CallError, CallErrorKind } from '../shared/bridge.ts';

/**
 * The one base of the errors the program raises on purpose. Its kind says whose problem it is, and each
 * front maps the kind once: the CLI to an exit code and one line, the server to an HTTP status, the
 * window to a message in place. Anything that is not a PairxError is a bug (kind 'internal').
 */
export class PairxError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One line per zod issue, naming the argument. */
export const zodMessage = (error: ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');

/**
 * The kind and the one-line message of any error: our own carry their kind, arguments zod refused are
 * bad input, a file Node cannot find is not found, everything else is internal (the caller logs its stack).
 */
export function describeError(error: unknown): CallError {
  if (error instanceof PairxError) return { kind: error.kind, message: error.message };
  if (error instanceof ZodError) return { kind: 'invalid-arguments', message: zodMessage(error) };
  const message = String((error as Error)?.message ?? error).split('\n')[0];
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') return { kind: 'not-found', message };
  return { kind: 'internal', message };
}
