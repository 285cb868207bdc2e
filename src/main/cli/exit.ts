import type { CallErrorKind } from '../../shared/bridge.ts';
import { describeError, PairxError } from '../errors.ts';

/** Exit codes: 1 an error, 2 a conflict (a merge that needs --confirm-merge), 130 cancelled (like a shell's Ctrl+C). */
const EXIT_CODE: Record<CallErrorKind, number> = {
  'invalid-arguments': 1,
  'not-found': 1,
  conflict: 2,
  'unsupported-model': 1,
  internal: 1,
  'unknown-method': 1,
  unavailable: 1,
};
export const EXIT_CANCELLED = 130;

/** Ends a command on purpose (cancelled) with its own exit code and one line on stderr, after its output. */
export class CommandExit extends PairxError {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super('invalid-arguments', message);
  }
}

/**
 * The CLI's one mapping of an error: one line for stderr (the stack trace instead when `--verbose` or
 * PAIRX_DEBUG asks for it) and the exit code of its kind.
 */
export function cliFailure(error: unknown, verbose: boolean): { line: string; exitCode: number } {
  const { kind, message } = describeError(error);
  const line = verbose && error instanceof Error && error.stack ? error.stack : message;
  return { line: `pairx: ${line}`, exitCode: error instanceof CommandExit ? error.exitCode : EXIT_CODE[kind] };
}

export const verboseRequested = (argv: readonly string[] = process.argv) =>
  Boolean(process.env.PAIRX_DEBUG) || argv.includes('--verbose');
