// How command output becomes lines, whatever the chunk boundaries: a character split across chunks, empty lines,
// carriage returns kept, and a last line without a newline flushed at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../integrations/hosts/executor.ts';

const bytes = (text: string) => Buffer.from(text);
const cases: Array<{ name: string; chunks: Buffer[]; lines: string[] }> = [
  { name: 'nothing', chunks: [], lines: [] },
  { name: 'one line', chunks: [bytes('one\n')], lines: ['one'] },
  { name: 'a line across chunks', chunks: [bytes('on'), bytes('e\ntw'), bytes('o\n')], lines: ['one', 'two'] },
  { name: 'empty lines', chunks: [bytes('\n\na\n\n')], lines: ['', '', 'a', ''] },
  { name: 'a last line without newline', chunks: [bytes('a\nrest')], lines: ['a', 'rest'] },
  { name: 'a carriage return is the line’s own', chunks: [bytes('dos\r\n')], lines: ['dos\r'] },
  { name: 'a character split across chunks', chunks: [Buffer.from([0x61, 0xc3]), Buffer.from([0xbc, 0x0a])], lines: ['aü'] },
  { name: 'a four-byte character split three ways', chunks: [Buffer.from([0xf0, 0x9f]), Buffer.from([0x9a]), Buffer.from([0x80, 0x0a])], lines: ['🚀'] },
];

for (const { name, chunks, lines } of cases) {
  test(`line splitting: ${name}`, () => {
    const seen: string[] = [];
    const splitter = new LineSplitter((line) => seen.push(line));
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    assert.deepEqual(seen, lines);
  });
}
