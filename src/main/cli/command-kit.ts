import { Command, InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { ApiArgs, ApiMethod, ApiResult, Progress } from '../../shared/api.ts';
import { callApi, workbenchHandlers } from '../api-handlers.ts';
import { Workbench } from '../workbench.ts';
import { EXIT_CANCELLED, cliFailure, verboseRequested } from './exit.ts';
import { issueLine } from './format.ts';
import { progressView } from './progress.ts';

/** What every `pairx catalog` command shares: options, the workbench it opens, failures as one line, jobs. */

export interface CommonOptions {
  catalog?: string;
  json?: boolean;
}

/** `command(spec, description)` of `pairx catalog`: the subcommand with --catalog and --json. */
export type CommandFactory = (spec: string, description: string) => Command;

/** The factory of `pairx catalog`'s subcommands, every one with the options CommonOptions reads. */
export function catalogSubcommands(catalog: Command): CommandFactory {
  return (spec, description) =>
    catalog
      .command(spec)
      .description(description)
      .option('--catalog <folder>', 'catalog folder (default: the catalog at or above the current folder)')
      .option('--json', 'print the result as JSON');
}

export const out = (text: string) => process.stdout.write(`${text}\n`);
export const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

/**
 * Wraps a command's action: a failure becomes one line on stderr and a non-zero exit code, never a
 * stack trace (unless --verbose or PAIRX_DEBUG asks for one, for what is a bug rather than the user's
 * input). It goes through commander's `error()`, so that under `exitOverride()` (src/main/cli.ts) the
 * exit code travels in the CommanderError that main() turns into the process's exit code.
 */
export function action<Args extends unknown[]>(run: (...args: Args) => Promise<void> | void) {
  return async (...args: Args): Promise<void> => {
    try {
      await run(...args);
    } catch (error) {
      const command = args[args.length - 1] as Command;
      const { line, exitCode } = cliFailure(error, verboseRequested());
      // Help after an error is for usage mistakes, which commander reports before any action runs.
      command.showHelpAfterError(false);
      command.error(line, { exitCode });
    }
  };
}

/** The catalog a command works on: --catalog, else the nearest catalog at or above `near`, else `near` itself. */
export function catalogFolder(options: CommonOptions, near: string = process.cwd()): string {
  return options.catalog !== undefined ? resolve(options.catalog) : (Workbench.locate(near) ?? resolve(near));
}

export async function withWorkbench<T>(folder: string, run: (workbench: Workbench, call: <M extends ApiMethod>(method: M, args: ApiArgs<M>, controls?: { onProgress?: (p: Progress) => void; signal?: AbortSignal }) => Promise<ApiResult<M>>) => Promise<T>): Promise<T> {
  const workbench = Workbench.open(folder);
  const handlers = workbenchHandlers(workbench);
  try {
    return await run(workbench, (method, args, controls) => callApi(handlers, method, args, controls));
  } finally {
    workbench.close();
  }
}

/**
 * Runs a long job with a progress view and Ctrl+C: the first one cancels cleanly (the job stops after
 * the photo or batch in hand, everything done so far stays), a second one quits at once.
 */
export async function asJob<T extends { cancelled: boolean }>(run: (controls: { onProgress: (p: Progress) => void; signal: AbortSignal }) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const view = progressView();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_CANCELLED);
    process.stderr.write('\ncancelling… (Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await run({ onProgress: (progress) => view.update(progress), signal: controller.signal });
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
}

export function positiveInteger(what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
    return number;
  };
}

export function fraction(what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) throw new InvalidArgumentError(`${what} must be a number from 0 to 1`);
    return number;
  };
}

export const defaultReviewer = (): string | undefined => {
  if (process.env.PAIRX_REVIEWER) return process.env.PAIRX_REVIEWER;
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
};

export function printIssues(issues: { file: string; row?: number; message: string }[]): void {
  for (const issue of issues) process.stderr.write(`  ${issueLine(issue)}\n`);
}

