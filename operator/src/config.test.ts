import { describe, expect, it } from 'vitest';
import { envName, loadConfig, readOperatorConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses defaults when neither flag nor environment says otherwise', () => {
    const config = loadConfig([], {});
    expect(config['leader-elect']).toBe(true);
    expect(config['webhook-port']).toBe(9443);
    expect(config.namespace).toBe('');
    expect(config.kubeconfig).toBeUndefined();
  });

  it('takes the environment, and a flag over the environment', () => {
    const env = { [envName('webhook-port')]: '8443', [envName('namespace')]: 'from-env' };
    expect(loadConfig([], env)['webhook-port']).toBe(8443);
    const config = loadConfig(['--webhook-port=7443', '--namespace', 'from-flag'], env);
    expect(config['webhook-port']).toBe(7443);
    expect(config.namespace).toBe('from-flag');
  });

  it('reads booleans as --x, --x=false and --no-x', () => {
    expect(loadConfig(['--webhook-self-managed'], {})['webhook-self-managed']).toBe(true);
    expect(loadConfig(['--leader-elect=false'], {})['leader-elect']).toBe(false);
    expect(loadConfig(['--no-leader-elect'], { C2C_LEADER_ELECT: 'true' })['leader-elect']).toBe(false);
    expect(loadConfig([], { C2C_WEBHOOK: 'false' }).webhook).toBe(false);
  });

  it('refuses unknown flags and bad numbers', () => {
    expect(() => loadConfig(['--nope'], {})).toThrow();
    expect(() => loadConfig(['--webhook-port=abc'], {})).toThrow('--webhook-port');
  });
});

describe('loadConfig, read strictly and with the names both programs share', () => {
  it('takes true, false, 1 or 0 for a boolean and refuses anything else, yes and no included', () => {
    expect(loadConfig([], { C2C_WEBHOOK: '0' }).webhook).toBe(false);
    expect(loadConfig(['--leader-elect=1'], {})['leader-elect']).toBe(true);
    expect(() => loadConfig([], { C2C_LEADER_ELECT: 'yes' })).toThrow(
      '--leader-elect / C2C_LEADER_ELECT: C2C_LEADER_ELECT="yes" is not a boolean: write true, false, 1 or 0',
    );
    expect(() => loadConfig(['--webhook=no'], {})).toThrow(/--webhook="no" is not a boolean/);
  });

  it('keeps fractional seconds and takes a unit, and refuses ports and worker counts out of range', () => {
    expect(loadConfig(['--retry-period-seconds=0.5'], {})['retry-period-seconds']).toBe(0.5);
    expect(loadConfig(['--resync-period-seconds=10m'], {})['resync-period-seconds']).toBe(600);
    expect(loadConfig([], {})['shutdown-grace-seconds']).toBe(25);
    expect(loadConfig([], { C2C_SHUTDOWN_GRACE_SECONDS: '40' })['shutdown-grace-seconds']).toBe(40);
    expect(() => loadConfig(['--webhook-port=99999'], {})).toThrow('is not an integer from 0 to 65535');
    expect(() => loadConfig(['--max-concurrent-reconciles=0'], {})).toThrow('is not an integer ≥ 1');
  });

  it('reads the log level from --log-level, C2C_LOG_LEVEL, or the deprecated LOG_LEVEL with a warning', () => {
    expect(loadConfig([], {})['log-level']).toBe('info');
    expect(loadConfig(['--log-level=debug'], { C2C_LOG_LEVEL: 'warn' })['log-level']).toBe('debug');
    expect(readOperatorConfig([], { LOG_LEVEL: 'warn' })).toMatchObject({
      outcome: 'loaded',
      settings: { 'log-level': 'warn' },
      warnings: ['LOG_LEVEL is deprecated: use C2C_LOG_LEVEL'],
    });
    expect(() => loadConfig(['--log-level=loud'], {})).toThrow(
      /--log-level="loud" is not one of fatal, error/,
    );
  });

  it('answers --help with the usage text instead of exiting, and suggests a flag for a typo', () => {
    const help = readOperatorConfig(['--help'], {});
    expect(help.outcome === 'help' && help.text).toContain('click-to-call-in operator');
    expect(help.outcome === 'help' && help.text).toMatch(
      /--\[no-\]leader-elect +.*\[C2C_LEADER_ELECT; default true\]/,
    );
    expect(readOperatorConfig(['--leader-elec'], {})).toEqual({
      outcome: 'invalid',
      errors: ['unknown flag --leader-elec (did you mean --leader-elect?)'],
    });
  });
});
