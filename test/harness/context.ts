import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { resolveTool } from './tools.ts';

export interface HarnessInfo {
  kubeconfigPath: string;
  apiServer: string;
  /** The CA of the client certificate kube-apiserver presents to admission webhooks. */
  webhookClientCaPem: string;
  natsUrl: string;
  natsMonitorUrl: string;
  workDir: string;
  serverPids: number[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

const execFileAsync = promisify(execFile);

export function harness(): HarnessInfo {
  return inject('harness');
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(harness().kubeconfigPath);
  return kc;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a tool binary with the harness kubeconfig; never throws on a non-zero exit. */
export async function runTool(
  tool: 'kubectl' | 'helm',
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const bin = resolveTool(tool);
  const env = { ...process.env, KUBECONFIG: harness().kubeconfigPath, ...options.env };
  const child = execFileAsync(bin, args, { env, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

export const kubectl = (args: string[], options?: { input?: string }) => runTool('kubectl', args, options);
export const helm = (args: string[], options?: { input?: string }) => runTool('helm', args, options);

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh namespace for the calling test file, deleted after it. */
export function useNamespace(prefix = 't'): { readonly name: string } {
  const ns = { name: uniqueName(prefix) };
  beforeAll(async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns.name } } });
  });
  afterAll(async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.deleteNamespace({ name: ns.name }).catch(() => undefined);
  });
  return ns;
}

export async function connectNats(name = 'c2c-test'): Promise<NatsConnection> {
  return connect({ servers: harness().natsUrl, name });
}

/** Polls `check` until it returns a truthy value, or throws with `what` after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
