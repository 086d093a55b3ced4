import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../temporal/codec.ts';
import { DecryptionError, generateKey, Keyring, KeyringError, parseKeyList, formatKeyList } from '../../security/keyring.ts';
import { createSecretBox, maskSecret, maskSecretFields } from '../../security/secrets.ts';

const decoder = new TextDecoder();

test('the codec round-trips payloads and leaves no plaintext', async () => {
  const codec = new EncryptionCodec(new Keyring([generateKey('k1')]));
  const payload = defaultPayloadConverter.toPayload({ secretAccessKey: 'AKIA-very-secret-value' })!;
  const [encoded] = await codec.encode([payload]);
  assert.equal(decoder.decode(encoded!.metadata!.encoding), ENCRYPTED_ENCODING);
  assert.equal(decoder.decode(encoded!.metadata!['encryption-key-id']), 'k1');
  assert.ok(!Buffer.from(encoded!.data!).includes('very-secret-value'));
  const [decoded] = await codec.decode([encoded!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { secretAccessKey: 'AKIA-very-secret-value' });
});

test('after rotation, payloads sealed with the old key still decode and new ones use the new key', async () => {
  const oldKey = generateKey('old');
  const newKey = generateKey('new');
  const before = new EncryptionCodec(new Keyring([oldKey]));
  const after = new EncryptionCodec(new Keyring([newKey, oldKey]));
  const [sealedBefore] = await before.encode([defaultPayloadConverter.toPayload('history from last year')!]);
  const [opened] = await after.decode([sealedBefore!]);
  assert.equal(defaultPayloadConverter.fromPayload(opened!), 'history from last year');
  const [sealedAfter] = await after.encode([defaultPayloadConverter.toPayload('x')!]);
  assert.equal(decoder.decode(sealedAfter!.metadata!['encryption-key-id']), 'new');
});

test('a payload sealed with a removed key fails with a message naming the key', async () => {
  const [sealed] = await new EncryptionCodec(new Keyring([generateKey('gone')])).encode([defaultPayloadConverter.toPayload(1)!]);
  await assert.rejects(new EncryptionCodec(new Keyring([generateKey('other')])).decode([sealed!]), (error: unknown) => {
    assert.ok(error instanceof DecryptionError);
    assert.match(error.message, /"gone"/);
    return true;
  });
});

test('tampered ciphertext is refused', async () => {
  const codec = new EncryptionCodec(new Keyring([generateKey('k1')]));
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload('amount=1')!]);
  const data = Buffer.from(sealed!.data!);
  data[20] = data[20]! ^ 0xff;
  await assert.rejects(codec.decode([{ ...sealed!, data }]), DecryptionError);
});

test('plain payloads (not ours) pass through decode untouched', async () => {
  const codec = new EncryptionCodec(new Keyring([generateKey('k1')]));
  const plain = defaultPayloadConverter.toPayload('plain')!;
  assert.deepEqual(await codec.decode([plain]), [plain]);
});

test('key lists parse, format and reject bad keys', () => {
  const keys = [generateKey('a'), generateKey('b')];
  assert.deepEqual(parseKeyList(formatKeyList(keys)), keys);
  assert.throws(() => new Keyring([{ id: 'short', key: Buffer.alloc(16) }]), KeyringError);
  assert.throws(() => parseKeyList('no-colon'), /id:base64key/);
  assert.throws(() => new Keyring([]), KeyringError);
});

test('secrets at rest: sealed per record, opened only in the same context, with a fresh nonce each time', () => {
  const box = createSecretBox(new Keyring([generateKey('k1')]));
  const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
  const first = box.seal(credentials, 'cloud_account:1');
  const second = box.seal(credentials, 'cloud_account:1');
  assert.notEqual(first, second);
  assert.ok(!first.includes('wJalrXUtnFEMI'));
  assert.match(first, /^v1:k1:/);
  assert.deepEqual(box.open(first, 'cloud_account:1'), credentials);
  assert.throws(() => box.open(first, 'cloud_account:2'), DecryptionError);
  assert.throws(() => box.open('garbage', 'cloud_account:1'), DecryptionError);
});

test('masking shows that a value is set, never a secret shorter than 24 characters, at most 4 characters of a longer one', () => {
  for (const secret of ['short', 'wJalrXUtnFEMI/K7MDENG', 'AKIAIOSFODNN7EXAMPLE', 'x'.repeat(23)]) {
    assert.equal(maskSecret(secret), '****', `${secret.length} characters reveal nothing`);
  }
  const long = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const masked = maskSecret(long);
  assert.equal(masked, '****EKEY');
  assert.equal(masked.replaceAll('*', '').length, 4, 'no more than 4 characters of the secret');
  assert.deepEqual(maskSecretFields({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: long, region: 7 }), {
    accessKeyId: '****',
    secretAccessKey: '****EKEY',
    region: '****',
  });
});
