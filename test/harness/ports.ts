import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports are handed out outside the kernel's ephemeral range (below it, or above it when it starts
 * low): a port from that range (what listening on port 0 gives) can be taken by any outgoing
 * connection or port-0 listener, a test proxy's say, between this check and the server binding it.
 */
const LOWEST = 10_000;
const HIGHEST = 65_535;
const [fromPort, toPort] = testPortRange();

function testPortRange(): [number, number] {
  // Linux's default, for a system that does not say.
  let [low, high] = [32_768, 60_999];
  try {
    const read = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const [l, h] = read.map(Number);
    if (Number.isInteger(l) && Number.isInteger(h)) [low, high] = [l as number, h as number];
  } catch {
    // not Linux: the default above
  }
  if (low > LOWEST + 1_000) return [LOWEST, low];
  if (high < HIGHEST - 1_000) return [high + 1, HIGHEST + 1];
  throw new Error(`the ephemeral port range ${low}–${high} leaves no room for test ports`);
}

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, not handed out before by this process, and
 * outside the ephemeral range (other test processes draw at random from the same range: a clash
 * needs the same draw within the moment between check and bind).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const port = fromPort + Math.floor(Math.random() * (toPort - fromPort));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port from ${fromPort} to ${toPort - 1} in 1,000 draws`);
}

/** Resolves once something accepts connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
