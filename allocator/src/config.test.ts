import { describe, expect, it } from 'vitest';
import { loadConfig, readAllocatorConfig } from './config.ts';

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

describe('allocator settings, read strictly', () => {
  it('refuse a boolean other than true, false, 1 or 0 instead of reading it as false', () => {
    expect(() => loadConfig([], { C2C_INSECURE_OPEN: 'yes' })).toThrow(
      '--insecure-open / C2C_INSECURE_OPEN: C2C_INSECURE_OPEN="yes" is not a boolean: write true, false, 1 or 0',
    );
    expect(() => loadConfig(['--kubernetes=maybe'], {})).toThrow(/--kubernetes="maybe" is not a boolean/);
    expect(loadConfig([], { C2C_INSECURE_OPEN: '1' }).insecureOpen).toBe(true);
  });

  it('refuse a port outside 0 to 65535 and a fractional count', () => {
    expect(() => loadConfig(['--port', '70000'], {})).toThrow('is not an integer from 0 to 65535');
    expect(() => loadConfig(['--rate-limit-burst', '1.5'], {})).toThrow(/--rate-limit-burst/);
    expect(loadConfig(['--rate-limit-rps', '0.5'], {}).rateLimitPerSecond).toBe(0.5);
  });

  it('take --shutdown-grace-seconds, and the deprecated --shutdown-grace-ms in milliseconds with a warning', () => {
    expect(loadConfig([], {}).shutdownGraceMs).toBe(25_000);
    expect(loadConfig(['--shutdown-grace-seconds', '40'], {}).shutdownGraceMs).toBe(40_000);
    expect(loadConfig([], { C2C_SHUTDOWN_GRACE_SECONDS: '5' }).shutdownGraceMs).toBe(5_000);
    const deprecated = readAllocatorConfig(['--shutdown-grace-ms', '30000'], {});
    expect(deprecated).toMatchObject({ outcome: 'loaded', settings: { shutdownGraceMs: 30_000 } });
    expect(deprecated.outcome === 'loaded' && deprecated.warnings).toEqual([
      '--shutdown-grace-ms is deprecated: use --shutdown-grace-seconds (in seconds)',
    ]);
    expect(loadConfig([], { C2C_SHUTDOWN_GRACE_MS: '1500' }).shutdownGraceMs).toBe(1_500);
  });

  it('take --log-level and C2C_LOG_LEVEL, and the deprecated LOG_LEVEL with a warning', () => {
    expect(loadConfig([], {}).logLevel).toBe('info');
    expect(loadConfig(['--log-level', 'debug'], { C2C_LOG_LEVEL: 'warn' }).logLevel).toBe('debug');
    expect(loadConfig([], { C2C_LOG_LEVEL: 'warn', LOG_LEVEL: 'trace' }).logLevel).toBe('warn');
    const deprecated = readAllocatorConfig([], { LOG_LEVEL: 'trace' });
    expect(deprecated).toMatchObject({
      outcome: 'loaded',
      settings: { logLevel: 'trace' },
      warnings: ['LOG_LEVEL is deprecated: use C2C_LOG_LEVEL'],
    });
    expect(() => loadConfig([], { LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL="verbose" is not one of/);
  });

  it('answer --help with the usage text instead of exiting', () => {
    const help = readAllocatorConfig(['--help'], {});
    expect(help.outcome).toBe('help');
    const text = help.outcome === 'help' ? help.text : '';
    expect(text).toMatch(/^usage: node allocator\/src\/main.ts/);
    for (const flag of ['--nats-url', '--shutdown-grace-seconds', '--log-level', '--[no-]insecure-open'])
      expect(text).toContain(flag);
    expect(text).toContain('deprecated: --shutdown-grace-ms, C2C_SHUTDOWN_GRACE_MS (milliseconds)');
  });
});
