/**
 * A bounded, steady load on the allocator: each worker creates a request and matches it by its access
 * code, over a fresh connection each time (so every request is routed by the Service's current rules).
 * Records every failure and, per number, the span in which a request certainly held it: from the
 * create's answer to the sending of its match. Two such spans of one number that overlap mean the
 * number was handed out twice.
 */
import http from 'node:http';

export interface LoadTarget {
  port: number;
  apiKey: string;
  groupName: string;
}

export interface LoadReport {
  requests: number;
  failures: string[];
  /** Numbers held by two requests at once, with the two request ids. */
  heldTwice: string[];
  seconds: number;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export function call(target: LoadTarget, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method,
        path,
        agent: false,
        timeout: 10_000,
        headers: {
          'x-api-key': target.apiKey,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: { text } });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

interface Hold {
  id: string;
  from: number;
  to: number;
}

export class SteadyLoad {
  readonly #target: LoadTarget;
  readonly #workers: number;
  readonly #pauseMs: number;
  readonly #holdMs: number;
  #running = false;
  #done: Promise<void>[] = [];
  #requests = 0;
  #failures: string[] = [];
  #holds = new Map<string, Hold[]>();
  #started = 0;

  constructor(target: LoadTarget, options: { workers?: number; pauseMs?: number; holdMs?: number } = {}) {
    this.#target = target;
    this.#workers = options.workers ?? 4;
    this.#pauseMs = options.pauseMs ?? 20;
    this.#holdMs = options.holdMs ?? 200;
  }

  get requests(): number {
    return this.#requests;
  }

  start(): void {
    this.#running = true;
    this.#started = Date.now();
    for (let i = 0; i < this.#workers; i++) this.#done.push(this.#worker(i));
  }

  async #worker(index: number): Promise<void> {
    const deadline = Date.now() + 15 * 60_000;
    while (this.#running && Date.now() < deadline) {
      await this.#once(index);
      await new Promise((r) => setTimeout(r, this.#pauseMs));
    }
  }

  async #once(index: number): Promise<void> {
    const group = encodeURIComponent(this.#target.groupName);
    let created: Answer;
    try {
      this.#requests++;
      created = await call(this.#target, 'POST', `/v1/groups/${group}/requests`, {
        userData: { worker: index },
      });
    } catch (err) {
      this.#failures.push(`create: ${(err as Error).message}`);
      return;
    }
    const heldFrom = Date.now();
    if (created.status !== 201) {
      this.#failures.push(`create: ${created.status} ${JSON.stringify(created.body)}`);
      return;
    }
    const { id, number, accessCode } = created.body as { id: string; number: string; accessCode: string };
    // Keep the number a while, so that requests overlap in time and compete for the pool.
    await new Promise((r) => setTimeout(r, this.#holdMs));
    const heldTo = Date.now();
    const holds = this.#holds.get(number) ?? [];
    holds.push({ id, from: heldFrom, to: heldTo });
    this.#holds.set(number, holds);
    try {
      this.#requests++;
      const matched = await call(this.#target, 'POST', '/v1/match', { dialledNumber: number, accessCode });
      if (matched.status !== 200)
        this.#failures.push(`match: ${matched.status} ${JSON.stringify(matched.body)}`);
    } catch (err) {
      this.#failures.push(`match: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<LoadReport> {
    this.#running = false;
    await Promise.all(this.#done);
    const heldTwice: string[] = [];
    for (const [number, holds] of this.#holds) {
      const sorted = [...holds].sort((a, b) => a.from - b.from);
      let latest: Hold | undefined;
      for (const hold of sorted) {
        if (latest && hold.from < latest.to) heldTwice.push(`${number}: ${latest.id} and ${hold.id}`);
        if (!latest || hold.to > latest.to) latest = hold;
      }
    }
    return {
      requests: this.#requests,
      failures: this.#failures,
      heldTwice,
      seconds: (Date.now() - this.#started) / 1000,
    };
  }
}
