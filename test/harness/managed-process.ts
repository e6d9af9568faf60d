import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import path from 'node:path';

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the test process dies without teardown: take the servers with it.
  process.on('exit', () => {
    for (const p of running) p.killNow();
  });
}

/**
 * A server process in its own process group, its output in `<logDir>/<name>.log`, stopped with
 * SIGTERM and, after a grace period, SIGKILL of the whole group.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  #child: ChildProcess;
  #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  constructor(name: string, command: string, args: string[], logDir: string, env?: NodeJS.ProcessEnv) {
    installExitHook();
    this.name = name;
    this.logFile = path.join(logDir, `${name}.log`);
    appendFileSync(this.logFile, `$ ${command} ${args.join(' ')}\n`);
    // The child writes to the log file itself: no pipe through this process, which is often the
    // load generator or the test runner whose CPU would otherwise be spent copying server logs.
    const log = openSync(this.logFile, 'a');
    try {
      this.#child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: env ?? process.env,
      });
    } finally {
      closeSync(log);
    }
    const note = (text: string) => appendFileSync(this.logFile, `\n[${name} ${text}]\n`);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitCode = code;
        running.delete(this);
        note(`exited: code=${code} signal=${signal}`);
        resolve(code);
      });
      this.#child.once('error', (err) => {
        this.#exitCode = -1;
        running.delete(this);
        note(`failed to start: ${err.message}`);
        resolve(-1);
      });
    });
    running.add(this);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** Resolves with the exit code when the process ends. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  killNow(): void {
    this.signal('SIGKILL');
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.hasExited) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.killNow(), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}

/** Throws with the tail of the log if the process has already exited. */
export async function assertRunning(p: ManagedProcess): Promise<void> {
  if (!p.hasExited) return;
  const { readFile } = await import('node:fs/promises');
  const log = await readFile(p.logFile, 'utf8').catch(() => '');
  throw new Error(
    `${p.name} exited during start-up; last lines of ${p.logFile}:\n${log.split('\n').slice(-25).join('\n')}`,
  );
}
