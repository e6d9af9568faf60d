export * from './store.ts';
export * from './memory-store.ts';
export * from './nats/index.ts';
