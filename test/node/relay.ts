/**
 * TCP relays between the host's loopback and the node's network namespace. A process inside the
 * namespace serves a Unix socket (sockets on the file system cross network namespaces); each
 * connection to it names its target in a first line, `<ip>:<port>\n`, and then carries the bytes.
 * The host side listens on 127.0.0.1 and opens one such connection per client connection.
 */
import net from 'node:net';

function pipeBoth(a: net.Socket, b: net.Socket): void {
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.pipe(b);
  b.pipe(a);
  for (const socket of [a, b]) {
    socket.on('error', close);
    socket.on('close', close);
  }
}

/** Inside the namespace: serves the relay socket at `socketPath`. */
export async function serveRelaySocket(socketPath: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    let header = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      header = Buffer.concat([header, chunk]);
      const end = header.indexOf(0x0a);
      if (end === -1) {
        if (header.length > 256) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const target = header.subarray(0, end).toString();
      const rest = header.subarray(end + 1);
      const colon = target.lastIndexOf(':');
      const upstream = net.connect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)) });
      if (rest.length > 0) upstream.write(rest);
      pipeBoth(client, upstream);
      client.resume();
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return server;
}

export interface Relay {
  /** The loopback port that reaches the target. */
  readonly port: number;
  close(): Promise<void>;
}

/** On the host: a loopback port that reaches `ip:port` inside the namespace through `socketPath`. */
export async function openRelay(socketPath: string, ip: string, port: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ path: socketPath });
    upstream.write(`${ip}:${port}\n`);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    pipeBoth(client, upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
