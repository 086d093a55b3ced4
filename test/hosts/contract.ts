// The one contract every host executor must pass (local, ssh; later salt), so they cannot drift apart: argv arrives
// intact, output streams line by line, a timeout or abort kills the whole process tree, putFile is verified and atomic.
// Each executor's test file calls runHostExecutorContract with a way to open the executor under test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { HostChecksumMismatchError, HostFileNotFoundError, HostFileTooLargeError, HostRequestError } from '../../integrations/hosts/errors.ts';
import type { HostExecutor, OutputStream, RunOptions } from '../../integrations/hosts/executor.ts';
import { waitFor } from '../support/wait.ts';

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

export function runHostExecutorContract(name: string, open: () => HostExecutor | Promise<HostExecutor>): void {
  describe(`host executor contract: ${name}`, () => {
    let executor: HostExecutor;
    // Everything the suite writes lives in one folder of its own (relative, so under the executor's base): runs that
    // share a host never meet.
    const base = `opsflow-contract-${randomUUID()}`;

    async function output(argv: string[], options: Partial<RunOptions> = {}) {
      const lines: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
      const result = await executor.run(argv, {
        timeoutMs: 30_000,
        ...options,
        onLine: (stream, line) => {
          lines[stream].push(line);
          options.onLine?.(stream, line);
        },
      });
      return { result, ...lines };
    }

    /** Pids among `pids` whose process still runs. A zombie (killed, not yet reaped by its new parent) is gone. */
    async function running(pids: string[]): Promise<string[]> {
      const { stdout } = await output(['sh', '-c', 'for p; do s=$(sed "s/.*) //" "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && echo "$p"; done; true', 'sh', ...pids]);
      return stdout;
    }

    /** The shell and the child whose pids `pidFile` holds have ended (the check waits for state, not for time). */
    async function assertTreeGone(pidFile: string): Promise<void> {
      const pids = (await executor.readFile(pidFile, { maxBytes: 100 })).toString().trim().split('\n');
      assert.equal(pids.length, 2);
      await waitFor(async () => `processes ${(await running(pids)).join(', ')} to be gone`, async () => (await running(pids)).length === 0, 10_000);
    }

    /** Starts a shell that records its pid and its child's in `pidFile`, says "started", and waits for the child. */
    const processTree = (pidFile: string) => ['sh', '-c', 'echo $$ > "$1"; sleep 300 & echo $! >> "$1"; echo started; wait', 'sh', pidFile];

    before(async () => {
      executor = await open();
      assert.equal((await executor.run(['mkdir', '-p', base], { timeoutMs: 30_000 })).exitCode, 0);
    });

    after(async () => {
      await executor.run(['rm', '-rf', base], { timeoutMs: 30_000 });
      await executor.close();
    });

    test('arguments arrive exactly as given: no word splitting, expansion, globbing or command substitution', async () => {
      const args = ["it's", '"double"', '$HOME', '${PATH}', '$(id -u)', '`id -u`', 'a;b', 'a && b', 'two\nlines', 'double  space', ' ', '', '*', '~', '\\n', "'\\''", '-n', 'ünïcødé ✓', '#hash', '|', '>out'];
      const { result, stdout } = await output(['printf', '%s\\n', ...args]);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(stdout, args.join('\n').split('\n'));
    });

    test('stdout and stderr stream line by line, in order, a last line without newline included, with the exit code', async () => {
      const { result, stdout, stderr } = await output(['sh', '-c', 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; printf "no newline"; exit 3']);
      assert.deepEqual(result, { exitCode: 3, timedOut: false, cancelled: false });
      assert.deepEqual(stdout, ['out 1', 'out 2', 'out 3', 'no newline']);
      assert.deepEqual(stderr, ['err 1', 'err 2', 'err 3']);
    });

    test('a line longer than any chunk, of multi-byte characters, arrives whole', async () => {
      const { stdout } = await output(['sh', '-c', 'i=0; while [ $i -lt 40000 ]; do printf ü; i=$((i+1)); done; echo; echo after']);
      assert.deepEqual(stdout, ['ü'.repeat(40_000), 'after']);
    });

    test('a non-zero exit is a result; a missing command exits 127 like a shell says', async () => {
      assert.deepEqual((await output(['false'])).result, { exitCode: 1, timedOut: false, cancelled: false });
      const missing = await output(['opsflow-no-such-command']);
      assert.equal(missing.result.exitCode, 127);
      assert.match(missing.stderr.join('\n'), /opsflow-no-such-command/);
    });

    test('commands start in the base folder (HOME); cwd and env are applied, env values taken literally', async () => {
      const home = await output(['sh', '-c', 'pwd; printf "%s\\n" "$HOME"']);
      assert.equal(home.stdout[0], home.stdout[1]);
      assert.equal((await executor.run(['mkdir', '-p', `${base}/work dir`], { timeoutMs: 30_000 })).exitCode, 0);
      const value = "it's $HOME; `id` \"x\"  two";
      const inside = await output(['sh', '-c', 'pwd; printf "%s\\n" "$GREETING"'], { cwd: `${base}/work dir`, env: { GREETING: value } });
      assert.deepEqual(inside.stdout, [`${home.stdout[0]}/${base}/work dir`, value]);
      await assert.rejects(executor.run(['pwd'], { cwd: `${base}/missing`, timeoutMs: 30_000 }), HostRequestError);
    });

    test('a command past its timeout is killed with everything it started, and reported as timed out', async () => {
      const pidFile = `${base}/timeout.pids`;
      const { result, stdout } = await output(processTree(pidFile), { timeoutMs: 3_000 });
      assert.deepEqual(stdout, ['started'], 'the process tree was up before the timeout');
      assert.equal(result.timedOut, true);
      assert.equal(result.cancelled, false);
      assert.equal(result.exitCode, null);
      await assertTreeGone(pidFile);
    });

    test('an abort kills the command and everything it started, and is reported as cancelled', async () => {
      const pidFile = `${base}/abort.pids`;
      const controller = new AbortController();
      const { result } = await output(processTree(pidFile), {
        timeoutMs: 300_000,
        signal: controller.signal,
        onLine: (_stream, line) => line === 'started' && controller.abort(),
      });
      assert.equal(result.timedOut, true);
      assert.equal(result.cancelled, true);
      await assertTreeGone(pidFile);
    });

    test('a command whose signal is already aborted does not start', async () => {
      const marker = `${base}/never-started`;
      const result = await executor.run(['touch', marker], { timeoutMs: 30_000, signal: AbortSignal.abort() });
      assert.deepEqual(result, { exitCode: null, timedOut: true, cancelled: true });
      await assert.rejects(executor.readFile(marker, { maxBytes: 10 }), HostFileNotFoundError);
    });

    test('putFile writes the file with its mode after checking its sha256 on the host; the same file again is left alone', async () => {
      const path = `${base}/put/config.json`;
      const content = Buffer.from('{"release": 1}\n');
      assert.deepEqual(await executor.putFile(path, content, { sha256: sha256(content), mode: 0o640 }), { written: true });
      assert.deepEqual(await executor.readFile(path, { maxBytes: 1024 }), content);
      const stat = async () => (await output(['stat', '-c', '%a %i', path])).stdout[0];
      const [mode, inode] = (await stat())!.split(' ');
      assert.equal(mode, '640');

      // Rewriting goes through a temporary file and a rename, so an unchanged inode proves nothing was rewritten.
      assert.deepEqual(await executor.putFile(path, content, { sha256: sha256(content).toUpperCase(), mode: 0o640 }), { written: false });
      assert.equal(await stat(), `640 ${inode}`);

      const next = Buffer.from('{"release": 2}\n');
      assert.deepEqual(await executor.putFile(path, next, { sha256: sha256(next) }), { written: true });
      assert.deepEqual(await executor.readFile(path, { maxBytes: 1024 }), next);
    });

    test('putFile streams a Readable', async () => {
      const chunks = Array.from({ length: 64 }, (_, index) => Buffer.alloc(16 * 1024, index));
      const whole = Buffer.concat(chunks);
      assert.deepEqual(await executor.putFile(`${base}/streamed.bin`, Readable.from(chunks), { sha256: sha256(whole) }), { written: true });
      assert.deepEqual(await executor.readFile(`${base}/streamed.bin`, { maxBytes: whole.length }), whole);
    });

    test('a sha256 that does not match fails with the typed error and leaves nothing under the final name, nor a temporary file', async () => {
      const folder = `${base}/mismatch`;
      const content = Buffer.from('the real content\n');
      const wrong = sha256(Buffer.from('what the caller expected\n'));
      const error = await executor.putFile(`${folder}/new.txt`, content, { sha256: wrong }).catch((caught: unknown) => caught);
      assert.ok(error instanceof HostChecksumMismatchError, `HostChecksumMismatchError, got ${String(error)}`);
      assert.equal(error.actualSha256, sha256(content));
      assert.equal(error.expectedSha256, wrong);
      await assert.rejects(executor.readFile(`${folder}/new.txt`, { maxBytes: 1024 }), HostFileNotFoundError);

      const kept = Buffer.from('version 1\n');
      await executor.putFile(`${folder}/kept.txt`, kept, { sha256: sha256(kept) });
      await assert.rejects(executor.putFile(`${folder}/kept.txt`, Buffer.from('version 2\n'), { sha256: wrong }), HostChecksumMismatchError);
      assert.deepEqual(await executor.readFile(`${folder}/kept.txt`, { maxBytes: 1024 }), kept);
      assert.deepEqual((await output(['ls', '-A', folder])).stdout, ['kept.txt']);

      await assert.rejects(executor.putFile(`${folder}/bad.txt`, content, { sha256: 'not-a-hash' }), HostRequestError);
    });

    test('a content stream that fails midway fails putFile with its error and leaves no file, temporary or final', async () => {
      const folder = `${base}/broken-source`;
      const source = Readable.from((async function* () {
        yield Buffer.from('the first half');
        throw new Error('the source failed');
      })());
      await assert.rejects(executor.putFile(`${folder}/half.txt`, source, { sha256: sha256(Buffer.from('anything')) }), /the source failed/);
      await assert.rejects(executor.readFile(`${folder}/half.txt`, { maxBytes: 1024 }), HostFileNotFoundError);
      assert.deepEqual((await output(['sh', '-c', 'ls -A "$1" 2>/dev/null; true', 'sh', folder])).stdout, []);
    });

    test('readFile reads up to maxBytes, refuses a larger file and names a missing one', async () => {
      const content = Buffer.from('0123456789');
      await executor.putFile(`${base}/ten.txt`, content, { sha256: sha256(content) });
      assert.deepEqual(await executor.readFile(`${base}/ten.txt`, { maxBytes: 10 }), content);
      await assert.rejects(executor.readFile(`${base}/ten.txt`, { maxBytes: 9 }), HostFileTooLargeError);
      await assert.rejects(executor.readFile(`${base}/absent.txt`, { maxBytes: 10 }), HostFileNotFoundError);
    });

    test('relative and absolute paths name the same file', async () => {
      const home = (await output(['sh', '-c', 'printf "%s\\n" "$HOME"'])).stdout[0]!;
      const content = Buffer.from('anywhere\n');
      await executor.putFile(`${home}/${base}/absolute.txt`, content, { sha256: sha256(content) });
      assert.deepEqual(await executor.readFile(`${base}/absolute.txt`, { maxBytes: 100 }), content);
      assert.deepEqual((await output(['cat', `${base}/absolute.txt`])).stdout, ['anywhere']);
    });

    test('an empty argv or a bad environment name is refused before anything runs', async () => {
      await assert.rejects(executor.run([], { timeoutMs: 1_000 }), HostRequestError);
      await assert.rejects(executor.run(['true'], { timeoutMs: 1_000, env: { 'BAD NAME': 'x' } }), HostRequestError);
    });
  });
}
