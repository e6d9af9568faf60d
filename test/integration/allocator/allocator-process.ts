import path from 'node:path';
import { ManagedProcess, assertRunning } from '../../harness/managed-process.ts';
import { freePort } from '../../harness/ports.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the tests' assertions
export type Json = any;

/** One allocator process (node 24, allocator/src/main.ts) on a free loopback port. */
export class AllocatorProcess {
  readonly url: string;
  /** The operations port: /metrics. */
  readonly metricsUrl: string;
  readonly process: ManagedProcess;

  private constructor(url: string, metricsUrl: string, proc: ManagedProcess) {
    this.url = url;
    this.metricsUrl = metricsUrl;
    this.process = proc;
  }

  /** `nodeArgs` go to node itself, before the script (e.g. `--cpu-prof`). */
  static async start(
    name: string,
    args: string[],
    logDir: string,
    env: NodeJS.ProcessEnv = {},
    nodeArgs: string[] = [],
  ): Promise<AllocatorProcess> {
    const port = await freePort();
    const metricsPort = await freePort();
    const main = path.resolve(import.meta.dirname, '../../../allocator/src/main.ts');
    const proc = new ManagedProcess(
      name,
      process.execPath,
      [
        ...nodeArgs,
        main,
        '--port',
        String(port),
        '--metrics-port',
        String(metricsPort),
        '--no-print-examples',
        ...args,
      ],
      logDir,
      { ...process.env, C2C_LOG_LEVEL: 'warn', ...env },
    );
    const a = new AllocatorProcess(`http://127.0.0.1:${port}`, `http://127.0.0.1:${metricsPort}`, proc);
    const deadline = Date.now() + 30_000;
    for (;;) {
      await assertRunning(proc);
      const ok = await fetch(`${a.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return a;
      if (Date.now() > deadline)
        throw new Error(`${name} did not become ready in 30 s (log: ${proc.logFile})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async post(route: string, body: unknown): Promise<{ status: number; body: Json; headers: Headers }> {
    return this.request('POST', route, undefined, body);
  }

  /** One call with an optional API key (`x-api-key`) and JSON body. */
  async request(
    method: string,
    route: string,
    key?: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'x-api-key': key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
  }

  async get(route: string): Promise<Json> {
    return (await (await fetch(`${this.url}${route}`)).json()) as Json;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
