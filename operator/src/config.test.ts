import { describe, expect, it } from 'vitest';
import { envName, loadConfig } from './config.ts';

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
