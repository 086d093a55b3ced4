// Dispatches `opsflow <command>`; every command answers --help and reports configuration errors as one list.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env.ts';
import { helpText, UsageError, type CliCommand } from './command.ts';
import { upCommand } from './up.ts';
import { workerCommand } from './worker.ts';
import { apiCommand } from './api.ts';
import { migrateCommand } from './migrate.ts';
import { tokenCommand } from './token.ts';
import { cmdbEmulatorCommand } from './cmdb-emulator.ts';

export const COMMANDS: CliCommand[] = [upCommand, workerCommand, apiCommand, migrateCommand, tokenCommand, cmdbEmulatorCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return [
    'opsflow — durable operations orchestration on Temporal',
    '',
    'usage: opsflow <command> [options]   (opsflow <command> --help for details)',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help' || name === '-h') {
    process.stdout.write(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`opsflow: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`opsflow ${name}: ${(error as Error).message}\n\n${helpText(command)}`);
      return 2;
    }
    process.stderr.write(`opsflow ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
