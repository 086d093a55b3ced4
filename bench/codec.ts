// What encrypting every Temporal payload costs: payload conversion with the AES-256-GCM codec vs without it,
// for a typical activity input (a page of 100 resources), measured in the same run.
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../temporal/codec.ts';
import { generateKey, Keyring } from '../security/keyring.ts';
import type { Benchmark } from './run.ts';

const page = Array.from({ length: 100 }, (_, i) => ({
  externalId: `i-${i.toString(16).padStart(17, '0')}`,
  name: `web-${i}`,
  region: 'eu-west-1',
  attributes: { instanceType: 'm7g.large', privateIps: [`10.0.${i % 255}.${i % 7}`] },
  tags: { team: 'payments', env: 'prod' },
}));

async function rate(iterations: number, round: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) await round();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return iterations / seconds;
}

export const codecBenchmark: Benchmark = {
  name: 'codec',
  summary: 'payload encryption overhead (codec vs plain payload conversion)',
  async run() {
    const codec = new EncryptionCodec(new Keyring([generateKey('bench')]));
    const plain = async () => {
      const payload = defaultPayloadConverter.toPayload(page)!;
      defaultPayloadConverter.fromPayload(payload);
    };
    const encrypted = async () => {
      const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(page)!]);
      const [opened] = await codec.decode([sealed!]);
      defaultPayloadConverter.fromPayload(opened!);
    };
    await rate(200, plain);
    await rate(200, encrypted);
    const iterations = 3000;
    const plainRate = await rate(iterations, plain);
    const encryptedRate = await rate(iterations, encrypted);
    process.stdout.write(`payload round trips/s  plain ${plainRate.toFixed(0)}  encrypted ${encryptedRate.toFixed(0)}\n`);
    process.stdout.write(`ratio encrypted/plain  ${(encryptedRate / plainRate).toFixed(2)}  (1.00 = free; payload ${JSON.stringify(page).length} bytes)\n`);
  },
};
