import { createLogger, errorMessage, onShutdownSignal, settingsOrExit } from '#lib';
import { readAllocatorConfig } from './config.ts';
import { exampleCalls } from './examples.ts';
import { openAllocator } from './open-allocator.ts';

const { settings: config, warnings } = settingsOrExit(
  readAllocatorConfig(process.argv.slice(2), process.env),
  'allocator',
);
const log = createLogger('allocator', { level: config.logLevel });
for (const warning of warnings) log.warn(warning);

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
