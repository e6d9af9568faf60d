import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export type ToolName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubelet'
  | 'kube-proxy'
  | 'coredns'
  | 'kubectl'
  | 'helm'
  | 'promtool'
  | 'nats-server'
  | 'kind';

/** Where `npm run tools` (test/tools/build-tools.sh) puts what it builds. */
export function toolsBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const toolsDir =
    env.C2C_TOOLS_DIR ??
    path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'click-to-call-in', 'tools');
  return path.join(toolsDir, 'bin');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function overrideVariable(name: ToolName): string {
  return `C2C_${name.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Finds a tool binary: the `C2C_<TOOL>` variable, then controller-runtime's `KUBEBUILDER_ASSETS`
 * folder, then the pinned build cache. Throws a message that says how to get the binary.
 */
export function resolveTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const variable = overrideVariable(name);
  const candidates = [
    env[variable],
    env.KUBEBUILDER_ASSETS ? path.join(env.KUBEBUILDER_ASSETS, name) : undefined,
    path.join(toolsBinDir(env), name),
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find(isExecutable);
  if (found) return found;
  throw new Error(
    `${name} not found (looked at: ${candidates.join(', ')}). ` +
      `Build the pinned tools with 'npm run tools' (needs Go), or set ${variable} to a ${name} binary ` +
      `or KUBEBUILDER_ASSETS to a folder holding it.`,
  );
}
