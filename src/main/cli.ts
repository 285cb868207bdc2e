import { Command } from 'commander';
import { registerCatalogCommands } from './cli/catalog.ts';
import { registerDemoCommand } from './cli/demo.ts';
import { registerEngineCommands } from './cli/engine.ts';
import { registerEvaluateCommand } from './cli/evaluate.ts';
import { registerTeamCommands } from './cli/team.ts';
import { cliFailure } from './cli/exit.ts';

/** The `pairx` command: a thin front over the engine and the Workbench service. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  // `pairx catalog list --json | head`: the reader has what it wanted; end quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  const program = new Command('pairx')
    .description('PAIR-X workbench: explain re-identification matches and review candidate pairs')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  registerEngineCommands(program);
  registerCatalogCommands(program);
  registerTeamCommands(program);
  registerDemoCommand(program);
  registerEvaluateCommand(program);
  try {
    await program.parseAsync(argv.filter((a) => a !== '--verbose'), { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) return e.exitCode ?? 1; // commander has printed its message
    const { line, exitCode } = cliFailure(error, verbose);
    process.stderr.write(`${line}\n`);
    return exitCode;
  }
}
