// Dispatches `opsflow <command>`; every command answers --help and reports configuration errors as one list.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env.ts';
import { ComponentStartError } from '../scripts/stack/start-error.ts';
import { helpText, UsageError, type CliCommand } from './command.ts';

/** Each command's module is loaded only when it runs, so `--help` and `opsflow token` start quickly. */
export const COMMANDS: Array<{ name: string; summary: string; load: () => Promise<CliCommand> }> = [
  { name: 'up', summary: 'run the embedded stack: PostgreSQL, Temporal dev server + Web UI, workers, API, demo', load: async () => (await import('./up.ts')).upCommand },
  { name: 'worker', summary: 'run Temporal workers for one task queue or all of them', load: async () => (await import('./worker.ts')).workerCommand },
  { name: 'api', summary: 'serve the HTTP API', load: async () => (await import('./api.ts')).apiCommand },
  { name: 'migrate', summary: 'apply the committed database migrations', load: async () => (await import('./migrate.ts')).migrateCommand },
  { name: 'token', summary: 'create an API bearer token', load: async () => (await import('./token.ts')).tokenCommand },
  { name: 'cmdb-emulator', summary: 'run a BlueKing CMDB emulator (resource watch + re-list APIs)', load: async () => (await import('./cmdb-emulator.ts')).cmdbEmulatorCommand },
];

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
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (!entry) {
    process.stderr.write(`opsflow: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  const command = await entry.load();
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(helpText(entry, command));
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 78;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`opsflow ${name}: ${(error as Error).message}\n\n${helpText(entry, command)}`);
      return 2;
    }
    if (error instanceof ComponentStartError) {
      // One readable message naming the component, the command and the cause; the stack says nothing more.
      process.stderr.write(`opsflow ${name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`opsflow ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
