export * from './access-code.ts';
export * from './call-in-request.ts';
export * from './keys.ts';
export * from './match.ts';
export * from './pick-number.ts';
export type * from './random.ts';
export * from './match-guard.ts';
