import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('allocator settings', () => {
  it('take defaults, then environment variables, then flags', () => {
    expect(loadConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      natsUrl: undefined,
      rateLimitPerSecond: 500,
    });
    const env = { C2C_PORT: '9000', C2C_NATS_URL: 'nats://x:4222', C2C_KUBERNETES: 'true' };
    expect(loadConfig([], env)).toMatchObject({ port: 9000, natsUrl: 'nats://x:4222', kubernetes: true });
    expect(loadConfig(['--port', '9100', '--no-kubernetes', '--no-print-examples'], env)).toMatchObject({
      port: 9100,
      kubernetes: false,
      printExamples: false,
    });
  });

  it('refuse a bad number and an unknown flag', () => {
    expect(() => loadConfig(['--port', 'eighty'], {})).toThrow(/--port \/ C2C_PORT/);
    expect(() => loadConfig(['--prot', '1'], {})).toThrow();
  });
});
