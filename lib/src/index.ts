export * from './errors.ts';
export * from './log.ts';
export * from './shutdown.ts';
export * from './settings/index.ts';
