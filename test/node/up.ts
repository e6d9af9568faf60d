/**
 * Brings the test node up by hand and keeps it until Ctrl-C (or SIGTERM), then removes it:
 *
 *   sudo node test/node/up.ts        # prints the kubeconfig to use with kubectl and helm
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestNode } from './node.ts';

const node = new TestNode(await mkdtemp(path.join(tmpdir(), 'c2c-node-')));
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await node.stop();
  console.log('node: removed');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
try {
  const started = Date.now();
  const info = await node.start();
  console.log(`node: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`, info.steps);
  console.log(`export KUBECONFIG=${info.kubeconfigPath}`);
  console.log(`logs: ${info.logDir}`);
} catch (err) {
  console.error(err);
  await node.stop({ keepWorkDir: true });
  process.exit(1);
}
