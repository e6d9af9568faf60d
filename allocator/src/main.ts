import { createLogger, errorMessage, onShutdownSignal } from '#lib';
import { loadConfig, usage } from './config.ts';
import { exampleCalls } from './examples.ts';
import { openAllocator } from './open-allocator.ts';

const log = createLogger('allocator');

let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  process.stderr.write(`${errorMessage(err)}\n\n${usage()}`);
  process.exit(2);
}

try {
  const allocator = await openAllocator(config, log);
  const address = await allocator.app.listen({ host: config.host, port: config.port });
  const metricsAddress = await allocator.metricsApp.listen({ host: config.host, port: config.metricsPort });
  log.info(
    { address, metricsAddress, store: allocator.store.kind, groups: allocator.groups.list().length },
    'allocator listening',
  );
  if (config.printExamples)
    process.stdout.write(exampleCalls(address, allocator.groups.list(), metricsAddress));
  onShutdownSignal(() => allocator.close(), log, config.shutdownGraceMs);
} catch (err) {
  log.fatal({ err }, `allocator cannot start: ${errorMessage(err)}`);
  process.exit(1);
}
