// The shape of an `opsflow` sub-command: its help text and options are data, so `--help` and the README
// describe exactly what the parser accepts.
import type { ParseArgsOptionsConfig } from 'node:util';

/** A command's name and one-line summary live in cli/main.ts's list, which loads the module only to run it. */
export interface CliCommand {
  usage: string;
  options: ParseArgsOptionsConfig;
  /** Help text for each option, by option name. */
  optionHelp: Record<string, string>;
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function helpText(entry: { name: string; summary: string }, command: CliCommand): string {
  const lines = [`opsflow ${entry.name} — ${entry.summary}`, '', `usage: ${command.usage}`];
  const names = Object.keys(command.options);
  if (names.length > 0) {
    lines.push('', 'options:');
    for (const name of names) {
      const option = command.options[name]!;
      const flag = `--${name}${option.type === 'string' ? ' <value>' : ''}`;
      lines.push(`  ${flag.padEnd(26)} ${command.optionHelp[name] ?? ''}`);
    }
  }
  lines.push('  --help                     show this help');
  return `${lines.join('\n')}\n`;
}
