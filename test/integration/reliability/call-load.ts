import { groupPrefix, slotKey } from '#allocator/domain/index';
import { NatsStore } from '#allocator/store/index';
import { createLogger } from '#lib';
import type { AllocatorProcess } from '../allocator/allocator-process.ts';

/**
 * An answer slower than this counts as a hang. A create caught by a fault can wait for its
 * acknowledgement (5 s) and then for reading the key back (5 s more), on a machine that may be busy.
 */
const HANG_MS = 30_000;

interface Answer {
  op: 'create' | 'match';
  phase: string;
  atMs: number;
  ms: number;
  status: number;
  code?: string;
}

interface Created {
  id: string;
  number: string;
  accessCode?: string;
  /** Set once a match of it was acknowledged. */
  matched: boolean;
  /** A match of it failed without saying whether it was applied (503 or no answer). */
  unsure: boolean;
  /** Where and when it was acknowledged: the phase, ms since the phase began, the replica's index. */
  acknowledged: { phase: string; msIntoPhase: number; replica: number };
}

export interface PhaseReport {
  phase: string;
  acknowledgedCreates: number;
  acknowledgedMatches: number;
  failures: Record<string, number>;
  /** Longest stretch without an acknowledged create, within the phase (ms). */
  longestGapMs: number;
  p99Ms: number;
}

/**
 * A steady create + match load on several allocator replicas: each worker creates a request on one
 * replica and, for four in five of them, matches it on another, keeping the rest live. Every
 * acknowledged create and match is remembered, so that the store can be checked against them.
 */
export class CallLoad {
  readonly #replicas: AllocatorProcess[];
  readonly #group: string;
  readonly #answers: Answer[] = [];
  readonly created: Created[] = [];
  readonly #matches = new Map<string, { status: number; phase: string; replica: number; code?: string }>();
  #phase = 'before';
  #phaseStartedAt = performance.now();
  #running = false;
  #workers: Promise<void>[] = [];

  constructor(replicas: AllocatorProcess[], group: string) {
    this.#replicas = replicas;
    this.#group = group;
  }

  set phase(name: string) {
    this.#phase = name;
    this.#phaseStartedAt = performance.now();
  }

  start(workers = 6, pauseMs = 100): void {
    this.#running = true;
    this.#workers = Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; this.#running; i++) {
        await this.#one(w + i * workers);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  acknowledged(phase?: string): number {
    return this.#answers.filter(
      (a) => a.op === 'create' && a.status === 201 && (phase === undefined || a.phase === phase),
    ).length;
  }

  report(phase: string): PhaseReport {
    const inPhase = this.#answers.filter((a) => a.phase === phase);
    const failures: Record<string, number> = {};
    for (const a of inPhase)
      if (a.status >= 300)
        failures[`${a.op} ${a.status} ${a.code ?? ''}`.trim()] =
          (failures[`${a.op} ${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1;
    const okTimes = inPhase.filter((a) => a.op === 'create' && a.status === 201).map((a) => a.atMs + a.ms);
    const start = Math.min(...inPhase.map((a) => a.atMs));
    const end = Math.max(...inPhase.map((a) => a.atMs + a.ms));
    let longestGapMs = 0;
    let last = start;
    for (const t of [...okTimes.sort((a, b) => a - b), end]) {
      longestGapMs = Math.max(longestGapMs, t - last);
      last = t;
    }
    const latencies = inPhase.map((a) => a.ms).sort((a, b) => a - b);
    return {
      phase,
      acknowledgedCreates: okTimes.length,
      acknowledgedMatches: inPhase.filter((a) => a.op === 'match' && a.status === 200).length,
      failures,
      longestGapMs: Math.round(longestGapMs),
      p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
    };
  }

  /** Answers that were neither success nor a clear, documented refusal (503 or 409): hangs, 500s. */
  unexpected(): Answer[] {
    return this.#answers.filter(
      (a) => ![200, 201, 503].includes(a.status) && !(a.op === 'match' && a.status === 404),
    );
  }

  async #one(i: number): Promise<void> {
    const replica = i % this.#replicas.length;
    const on = this.#replicas[replica] as AllocatorProcess;
    const other = this.#replicas[(i + 1) % this.#replicas.length] as AllocatorProcess;
    const created = await this.#call(
      'create',
      on,
      `/v1/groups/${encodeURIComponent(this.#group)}/requests`,
      {},
    );
    if (created?.status !== 201) return;
    const r = created.body as { id: string; number: string; accessCode?: string };
    const record: Created = {
      id: r.id,
      number: r.number,
      matched: false,
      unsure: false,
      acknowledged: {
        phase: this.#phase,
        msIntoPhase: Math.round(performance.now() - this.#phaseStartedAt),
        replica,
      },
      ...(r.accessCode ? { accessCode: r.accessCode } : {}),
    };
    this.created.push(record);
    if (i % 5 === 0) return;
    const matched = await this.#call('match', other, '/v1/match', {
      dialledNumber: r.number,
      ...(r.accessCode ? { accessCode: r.accessCode } : {}),
    });
    this.#matches.set(r.id, {
      status: matched?.status ?? 0,
      phase: this.#phase,
      replica: (i + 1) % this.#replicas.length,
      ...(matched?.body.error?.code ? { code: matched.body.error.code } : {}),
    });
    if (matched?.status === 200) record.matched = true;
    else if (matched?.status !== 404) record.unsure = true;
  }

  /** What the match of a created request answered (undefined: none was tried, one in five). */
  matchOf(id: string) {
    return this.#matches.get(id);
  }

  async #call(op: Answer['op'], on: AllocatorProcess, route: string, body: unknown) {
    const atMs = performance.now();
    const phase = this.#phase;
    try {
      const res = await fetch(`${on.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(HANG_MS),
      });
      const json = (await res.json()) as { error?: { code: string } };
      this.#answers.push({
        op,
        phase,
        atMs,
        ms: performance.now() - atMs,
        status: res.status,
        ...(json.error ? { code: json.error.code } : {}),
      });
      return { status: res.status, body: json };
    } catch (err) {
      this.#answers.push({
        op,
        phase,
        atMs,
        ms: performance.now() - atMs,
        status: 0,
        code: (err as Error).name,
      });
      return undefined;
    }
  }
}

/**
 * What the store says of the acknowledged work: creates not matched must be held, on the number
 * they were given; acknowledged matches must be gone; no number may be held twice. Read through the
 * allocator's own store, from the stream's leader: a replica still catching up may lag behind.
 */
export async function checkStore(
  servers: string,
  bucket: string,
  replicas: number,
  group: string,
  created: readonly { id: string; number: string; matched: boolean; unsure: boolean }[],
): Promise<{ lost: string[]; resurrected: string[]; heldTwice: number; held: number; unlisted: string[] }> {
  const store = await NatsStore.open({
    url: servers,
    bucket,
    replicas,
    healthCheckMs: 0,
    log: createLogger('check-store', { level: 'silent' }),
  });
  try {
    // Each request's own slot key (a unique-DNIS number holds at most one), read from the leader.
    const held = new Map<string, { id: string; number: string }>();
    await Promise.all(
      [...new Set(created.map((c) => c.number))].map(async (number) => {
        const e = await store.get(slotKey(group, number, { kind: 'unique' }));
        if (e)
          held.set(
            number,
            JSON.parse(Buffer.from(e.value).toString('utf8')) as { id: string; number: string },
          );
      }),
    );
    const holds = (c: { id: string; number: string }) => held.get(c.number)?.id === c.id;
    const lost = created.filter((c) => !c.matched && !c.unsure && !holds(c)).map((c) => c.id);
    const resurrected = created.filter((c) => c.matched && holds(c)).map((c) => c.id);
    // Two acknowledged, unmatched creates on one number: at most one can be live, the other is lost.
    const perNumber = new Map<string, number>();
    for (const c of created)
      if (!c.matched && !c.unsure) perNumber.set(c.number, (perNumber.get(c.number) ?? 0) + 1);
    const heldTwice = [...perNumber.values()].filter((n) => n > 1).length;
    // The store's own listing (what the allocators' view snapshots from) must show the same.
    const listed = new Set(
      (await store.list(groupPrefix(group))).map(
        (e) => (JSON.parse(Buffer.from(e.value).toString('utf8')) as { id: string }).id,
      ),
    );
    const unlisted = [...held.values()].filter((h) => !listed.has(h.id)).map((h) => h.id);
    return { lost, resurrected, heldTwice, held: held.size, unlisted };
  } finally {
    await store.close();
  }
}
