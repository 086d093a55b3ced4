// `npm run bench -- <name> [options]`: runs one benchmark (or all with no name). Each prints ratios measured in
// the same run (ours vs a baseline or the raw limit), because absolute times on shared machines are noise.
import { codecBenchmark } from './codec.ts';
import { syncBenchmark } from './sync.ts';
import { cmdbBenchmark } from './cmdb.ts';

export interface Benchmark {
  name: string;
  summary: string;
  run(args: string[]): Promise<void>;
}

const BENCHMARKS: Benchmark[] = [codecBenchmark, syncBenchmark, cmdbBenchmark];

const [name, ...args] = process.argv.slice(2);
const chosen = name ? BENCHMARKS.filter((bench) => bench.name === name) : BENCHMARKS;
if (chosen.length === 0) {
  process.stderr.write(`unknown benchmark "${name}"; available:\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(10)} ${b.summary}`).join('\n')}\n`);
  process.exit(2);
}
for (const bench of chosen) {
  process.stdout.write(`\n# ${bench.name}: ${bench.summary}\n`);
  await bench.run(args);
}
