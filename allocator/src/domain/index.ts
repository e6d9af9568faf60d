export * from './access-code.ts';
export * from './call-in-request.ts';
export * from './keys.ts';
export * from './match.ts';
export * from './pick-number.ts';
export * from './random.ts';
export * from './match-guard.ts';
export * from './live-view.ts';
