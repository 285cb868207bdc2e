import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { registerEngineCommands } from './cli/engine.ts';

/** The `pairx` command: a thin front over the engine and the Workbench service. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = new Command('pairx')
    .description('PAIR-X workbench: explain re-identification matches and review candidate pairs')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  registerEngineCommands(program);
  const catalogCommands = new URL('./cli/catalog.ts', import.meta.url);
  if (existsSync(catalogCommands)) {
    const { registerCatalogCommands } = await import(catalogCommands.href);
    registerCatalogCommands(program);
  }
  const demoCommand = new URL('./cli/demo.ts', import.meta.url);
  if (existsSync(demoCommand)) {
    const { registerDemoCommand } = await import(demoCommand.href);
    registerDemoCommand(program);
  }
  try {
    await program.parseAsync(argv.filter((a) => a !== '--verbose'), { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) return e.exitCode ?? 1; // commander has printed its message
    process.stderr.write(`pairx: ${verbose ? e.stack : e.message.split('\n')[0]}\n`);
    return 1;
  }
}
