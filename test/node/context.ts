/** What the node's test files use: the node's kubeconfig, kubectl and helm against it, relays into it. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { CommandResult } from '../harness/context.ts';
import { resolveTool } from '../harness/tools.ts';
import { podCgroupPids } from './host.ts';
import type { NodeInfo } from './node.ts';
import { openRelay, type Relay } from './relay.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    node: NodeInfo;
  }
}

const execFileAsync = promisify(execFile);

export function testNode(): NodeInfo {
  return inject('node');
}

export function nodeKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testNode().kubeconfigPath);
  return kc;
}

/** Runs kubectl or helm against the node; never throws on a non-zero exit. */
export async function onNode(
  tool: 'kubectl' | 'helm',
  args: string[],
  options: { input?: string } = {},
): Promise<CommandResult> {
  const env = { ...process.env, KUBECONFIG: testNode().kubeconfigPath };
  const child = execFileAsync(resolveTool(tool), args, { env, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

export const kubectl = (args: string[], options?: { input?: string }) => onNode('kubectl', args, options);
export const helm = (args: string[], options?: { input?: string }) => onNode('helm', args, options);

/** Throws with the command's stderr unless it succeeded; returns its stdout. */
export async function must(result: Promise<CommandResult>): Promise<string> {
  const done = await result;
  if (done.code !== 0) throw new Error(done.stderr || `exit code ${done.code}`);
  return done.stdout;
}

/** A loopback port on the host that reaches `ip:port` inside the node's network namespace. */
export function relayTo(ip: string, port: number): Promise<Relay> {
  return openRelay(testNode().relaySocket, ip, port);
}

/**
 * SIGKILLs the processes of a pod whose command line matches `command`, as a crash would: no SIGTERM,
 * nothing released. Finds them by the pod's cgroup (`pod<uid>` under the node's cgroup root).
 */
export function crashPodProcess(podUid: string, command: RegExp): number[] {
  const killed: number[] = [];
  for (const pid of podCgroupPids(podUid)) {
    const commandLine = readCommandLine(pid);
    if (commandLine === undefined || !command.test(commandLine)) continue;
    process.kill(pid, 'SIGKILL');
    killed.push(pid);
  }
  return killed;
}

function readCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}
