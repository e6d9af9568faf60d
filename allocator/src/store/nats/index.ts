export { NatsStore } from './nats-store.ts';
export type { NatsStoreOptions } from './options.ts';
export { compareVersions, seedList } from './connection.ts';
