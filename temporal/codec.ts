// Encrypts every Temporal payload (inputs, results, signals, memos, failure details) with the keyring, so workflow
// history holds only ciphertext. The key id travels in the payload metadata, so payloads sealed before a key
// rotation still decode.
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Keyring } from '../security/keyring.ts';

const PayloadMessage = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EncryptionCodec implements PayloadCodec {
  readonly #keyring: Keyring;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = PayloadMessage.encode(payload).finish();
      const sealed = this.#keyring.seal(plain);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(sealed.keyId),
        },
        data: sealed.data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata?.[KEY_ID_METADATA] ?? new Uint8Array());
      const plain = this.#keyring.open({ keyId, data: Buffer.from(payload.data ?? new Uint8Array()) });
      return PayloadMessage.decode(plain);
    });
  }
}
