// Loaded by path (inside the workflow sandbox too): failure messages and stack traces go into an encoded
// payload, so the codec encrypts them instead of leaving them as plaintext in history.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
