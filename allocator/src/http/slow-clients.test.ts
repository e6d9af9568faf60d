import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { setup } from '../testing/app-harness.ts';

/** Sends `data`, then waits; resolves with what the server answered and when it closed. */
function stall(port: number, data: string): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: performance.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`not closed within 10 s; answer so far: ${answer}`));
    }, 10_000).unref();
  });
}

describe('slow clients', () => {
  it('answers 408 and disconnects a client that sends part of a body and waits', async () => {
    const { app } = await setup({ requestTimeoutMs: 1_000 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const partialBody =
      'POST /v1/groups/auto_insurance/requests HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"callerNumber":';
    const headersOnly =
      'POST /v1/groups/auto_insurance/requests HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n';
    const [body, headers] = await Promise.all([stall(port, partialBody), stall(port, headersOnly)]);
    for (const r of [body, headers]) {
      expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
      expect(r.closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(r.closedAfterMs).toBeLessThan(3_000);
    }
  });
});
