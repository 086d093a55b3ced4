// A local HTTP endpoint that answers a cloud SDK the way a test scripts it (throttling, errors, odd payloads), for
// the failures a real emulator cannot produce on demand.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FakeEndpoint {
  /** http://127.0.0.1:<port>, to hand the adapter as its endpoint override. */
  url: string;
  close(): Promise<void>;
}

/** `answer` gets each request with its whole body read. */
export async function startFakeEndpoint(answer: (request: IncomingMessage, body: string, response: ServerResponse) => void): Promise<FakeEndpoint> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => answer(request, Buffer.concat(chunks).toString(), response));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the fake endpoint has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
