export * from './registry.ts';
export * from './dir-source.ts';
export * from './config-map-source.ts';
