import { describe, expect, expectTypeOf, it } from 'vitest';
import { setting } from './definition.ts';
import { loadSettings, type SettingsOutcome } from './load.ts';
import { requireSettings, SettingsCode, SettingsError } from './settings-error.ts';

const DEFINITIONS = {
  host: setting.string({ flag: 'host', env: 'T_HOST', default: '127.0.0.1', description: 'address' }),
  natsUrl: setting.string({ flag: 'nats-url', env: 'T_NATS_URL', description: 'NATS server' }),
  port: setting.integer({
    flag: 'port',
    env: 'T_PORT',
    default: 8080,
    max: 65535,
    description: 'port',
  }),
  replicas: setting.integer({ flag: 'replicas', default: 1, min: 1, max: 5, description: 'replicas' }),
  rate: setting.number({ flag: 'rate', env: 'T_RATE', default: 10, description: 'per second' }),
  open: setting.boolean({ flag: 'open', env: 'T_OPEN', default: false, description: 'open mode' }),
  examples: setting.boolean({ flag: 'examples', env: 'T_EXAMPLES', default: true, description: 'examples' }),
  unit: setting.enum({
    flag: 'unit',
    env: 'T_UNIT',
    choices: ['milliseconds', 'seconds'],
    default: 'milliseconds',
    description: 'epoch unit',
  }),
  graceSeconds: setting.duration({
    flag: 'grace-seconds',
    env: 'T_GRACE_SECONDS',
    unit: 's',
    default: 25,
    description: 'shutdown grace',
    deprecatedNames: [{ flag: 'grace-ms', env: 'T_GRACE_MS', unit: 'ms' }],
  }),
  logLevel: setting.enum({
    flag: 'log-level',
    env: 'T_LOG_LEVEL',
    choices: ['debug', 'info', 'warn'],
    default: 'info',
    description: 'log level',
    deprecatedNames: [{ env: 'LOG_LEVEL' }],
  }),
  names: setting.list({ flag: 'names', env: 'T_NAMES', default: [], description: 'names' }),
};

const PROGRAM = { usage: 'node test.ts [flags]', summary: 'a test program' };
const load = (argv: string[], env: Record<string, string> = {}) =>
  loadSettings(DEFINITIONS, argv, env, PROGRAM);

function loaded<T>(outcome: SettingsOutcome<T>): { settings: T; warnings: string[] } {
  if (outcome.outcome !== 'loaded') throw new Error(`expected settings, got ${JSON.stringify(outcome)}`);
  return outcome;
}
function errors(outcome: SettingsOutcome<unknown>): string[] {
  if (outcome.outcome !== 'invalid') throw new Error(`expected errors, got ${JSON.stringify(outcome)}`);
  return outcome.errors;
}

describe('loadSettings', () => {
  it('takes the default, then the variable, then the flag', () => {
    expect(loaded(load([])).settings).toEqual({
      host: '127.0.0.1',
      natsUrl: undefined,
      port: 8080,
      replicas: 1,
      rate: 10,
      open: false,
      examples: true,
      unit: 'milliseconds',
      graceSeconds: 25,
      logLevel: 'info',
      names: [],
    });
    const env = { T_PORT: '9000', T_NATS_URL: 'nats://x:4222', T_OPEN: 'true' };
    expect(loaded(load([], env)).settings).toMatchObject({
      port: 9000,
      natsUrl: 'nats://x:4222',
      open: true,
    });
    expect(loaded(load(['--port', '9100', '--open=false'], env)).settings).toMatchObject({
      port: 9100,
      open: false,
    });
    expect(loaded(load(['--port=9200'], env)).settings.port).toBe(9200);
  });

  it('counts an empty value as not given', () => {
    expect(loaded(load(['--host='], { T_HOST: 'from-env' })).settings.host).toBe('from-env');
    expect(loaded(load([], { T_PORT: '' })).settings.port).toBe(8080);
  });

  it('lets a repeated flag win by its last occurrence, and a list add them up', () => {
    expect(loaded(load(['--port', '1', '--port', '2'])).settings.port).toBe(2);
    expect(loaded(load(['--names', 'a, b', '--names=c,,'], { T_NAMES: 'x' })).settings.names).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(loaded(load([], { T_NAMES: 'x,y' })).settings.names).toEqual(['x', 'y']);
  });

  it('types each value by its kind, with undefined only where there is no default', () => {
    const { settings } = loaded(load([]));
    expectTypeOf(settings.port).toEqualTypeOf<number>();
    expectTypeOf(settings.natsUrl).toEqualTypeOf<string | undefined>();
    expectTypeOf(settings.open).toEqualTypeOf<boolean>();
    expectTypeOf(settings.unit).toEqualTypeOf<'milliseconds' | 'seconds'>();
    expectTypeOf(settings.names).toEqualTypeOf<string[]>();
  });
});

describe('booleans', () => {
  it('take --x, --no-x, --x=<bool>, and true, false, 1 or 0', () => {
    expect(loaded(load(['--open'])).settings.open).toBe(true);
    expect(loaded(load(['--no-examples'], { T_EXAMPLES: 'true' })).settings.examples).toBe(false);
    expect(loaded(load(['--open=1'])).settings.open).toBe(true);
    expect(loaded(load(['--open', '--no-open'])).settings.open).toBe(false);
    expect(loaded(load(['--no-open', '--open'])).settings.open).toBe(true);
    expect(loaded(load([], { T_OPEN: '1' })).settings.open).toBe(true);
    expect(loaded(load([], { T_EXAMPLES: '0' })).settings.examples).toBe(false);
    expect(loaded(load([], { T_EXAMPLES: 'false' })).settings.examples).toBe(false);
  });

  it.each(['yes', 'no', 'maybe', 'TRUE', 'on', ' true'])(
    'refuse %j, naming the variable, the value and the rule',
    (text) => {
      expect(errors(load([], { T_OPEN: text }))).toEqual([
        `--open / T_OPEN: T_OPEN=${JSON.stringify(text)} is not a boolean: write true, false, 1 or 0`,
      ]);
    },
  );

  it('refuse a bad flag value and a value on a negation', () => {
    expect(errors(load(['--open=yes']))).toEqual([
      '--open / T_OPEN: --open="yes" is not a boolean: write true, false, 1 or 0',
    ]);
    expect(errors(load(['--no-open=true']))).toEqual(['--no-open takes no value (write --open=true)']);
  });
});

describe('numbers', () => {
  it.each([
    [['--port', 'eighty'], '--port / T_PORT: --port="eighty" is not an integer from 0 to 65535'],
    [['--port', '80.5'], '--port / T_PORT: --port="80.5" is not an integer from 0 to 65535'],
    [['--port=65536'], '--port / T_PORT: --port="65536" is not an integer from 0 to 65535'],
    [['--port=-1'], '--port / T_PORT: --port="-1" is not an integer from 0 to 65535'],
    [['--replicas=0'], '--replicas: --replicas="0" is not an integer from 1 to 5'],
    [['--rate=0x10'], '--rate / T_RATE: --rate="0x10" is not a number ≥ 0'],
    [['--rate=-0.5'], '--rate / T_RATE: --rate="-0.5" is not a number ≥ 0'],
  ])('refuse %j outside their kind or range', (argv, message) => {
    expect(errors(load(argv))).toEqual([message]);
  });

  it('take fractions where the kind allows them', () => {
    expect(loaded(load(['--rate=0.5'])).settings.rate).toBe(0.5);
    expect(loaded(load(['--replicas', '5'])).settings.replicas).toBe(5);
  });
});

describe('enums and durations', () => {
  it('take only the listed choices', () => {
    expect(loaded(load(['--unit', 'seconds'])).settings.unit).toBe('seconds');
    expect(errors(load([], { T_UNIT: 'minutes' }))).toEqual([
      '--unit / T_UNIT: T_UNIT="minutes" is not one of milliseconds, seconds',
    ]);
  });

  it('read a bare number in the unit of the name, or a number with a unit', () => {
    const grace = (argv: string[]) => loaded(load(argv)).settings.graceSeconds;
    expect(grace(['--grace-seconds', '30'])).toBe(30);
    expect(grace(['--grace-seconds', '1.5'])).toBe(1.5);
    expect(grace(['--grace-seconds', '500ms'])).toBe(0.5);
    expect(grace(['--grace-seconds', '2m'])).toBe(120);
    expect(grace(['--grace-seconds', '1h'])).toBe(3600);
    expect(errors(load(['--grace-seconds', '30 s']))).toEqual([
      '--grace-seconds / T_GRACE_SECONDS: --grace-seconds="30 s" is not a duration in seconds (or with a unit: 500ms, 30s, 5m, 1h) ≥ 0 s',
    ]);
  });
});

describe('deprecated names', () => {
  it('still work, in their own unit, with one warning that names the current name', () => {
    const byFlag = loaded(load(['--grace-ms', '1500']));
    expect(byFlag.settings.graceSeconds).toBe(1.5);
    expect(byFlag.warnings).toEqual(['--grace-ms is deprecated: use --grace-seconds (in seconds)']);
    const byEnv = loaded(load([], { T_GRACE_MS: '30000' }));
    expect(byEnv.settings.graceSeconds).toBe(30);
    expect(byEnv.warnings).toEqual(['T_GRACE_MS is deprecated: use T_GRACE_SECONDS (in seconds)']);
    const logLevel = loaded(load([], { LOG_LEVEL: 'debug' }));
    expect(logLevel.settings.logLevel).toBe('debug');
    expect(logLevel.warnings).toEqual(['LOG_LEVEL is deprecated: use T_LOG_LEVEL']);
  });

  it('give way to the current name, a flag over a variable, and say they are ignored', () => {
    const both = loaded(load(['--grace-ms=1000', '--grace-seconds=3']));
    expect(both.settings.graceSeconds).toBe(3);
    expect(both.warnings).toEqual([
      '--grace-ms is deprecated, and ignored here since --grace-seconds is given',
    ]);
    expect(loaded(load(['--grace-ms=1000'], { T_GRACE_SECONDS: '9' })).settings.graceSeconds).toBe(1);
    const env = loaded(load([], { T_LOG_LEVEL: 'warn', LOG_LEVEL: 'debug' }));
    expect(env.settings.logLevel).toBe('warn');
    expect(env.warnings).toEqual(['LOG_LEVEL is deprecated, and ignored here since T_LOG_LEVEL is given']);
    expect(loaded(load(['--log-level=warn'], { LOG_LEVEL: 'debug' })).settings.logLevel).toBe('warn');
  });

  it('name the deprecated source of a bad value', () => {
    expect(errors(load([], { LOG_LEVEL: 'loud' }))).toEqual([
      '--log-level / T_LOG_LEVEL: LOG_LEVEL="loud" is not one of debug, info, warn',
    ]);
  });
});

describe('the command line', () => {
  it('refuses unknown flags, suggesting a near one', () => {
    expect(errors(load(['--prot', '1']))).toEqual(['unknown flag --prot (did you mean --port?)']);
    expect(errors(load(['--nope']))).toEqual(['unknown flag --nope']);
    expect(errors(load(['--grace-second=3']))).toEqual([
      'unknown flag --grace-second (did you mean --grace-seconds?)',
    ]);
    expect(errors(load(['--no-port']))).toEqual(['unknown flag --no-port (--port is not a boolean)']);
  });

  it('refuses positional arguments, short flags and a missing value, reporting every problem', () => {
    expect(errors(load(['serve', '-p', '--port']))).toEqual([
      'unexpected argument "serve": settings are flags, --name value or --name=value',
      'unexpected argument "-p": settings are flags, --name value or --name=value',
      '--port needs a value (for one that starts with a dash, write --port=<value>)',
    ]);
    expect(errors(load(['--host', '--port', '1']))[0]).toBe(
      '--host needs a value (for one that starts with a dash, write --host=<value>)',
    );
    expect(errors(load(['--port=x', '--open=maybe'])).length).toBe(2);
  });

  it('answers --help or -h with the usage text, whatever else is given', () => {
    for (const argv of [['--help'], ['-h'], ['--nope', '--help']]) {
      const outcome = load(argv);
      expect(outcome.outcome).toBe('help');
    }
  });

  it('refuses a definition that uses one flag twice', () => {
    const twice = {
      a: setting.string({ flag: 'a', description: 'a' }),
      b: setting.string({ flag: 'b', description: 'b', deprecatedNames: [{ flag: 'a' }] }),
    };
    expect(() => loadSettings(twice, [], {}, PROGRAM)).toThrow('--a is defined twice');
  });
});

describe('the usage text', () => {
  const outcome = load(['--help']);
  const text = outcome.outcome === 'help' ? outcome.text : '';

  it('starts with the program and the rules', () => {
    expect(text).toMatch(/^usage: node test.ts \[flags\]\n\na test program\n\nEach setting is a flag/);
    expect(text).toContain('true, false, 1 or 0');
  });

  it('lists every setting with its variable, default, range and deprecated names', () => {
    expect(text).toMatch(/ {2}--port <n> +port \[T_PORT; default 8080; from 0 to 65535\]\n/);
    expect(text).toMatch(/ {2}--\[no-\]examples +examples \[T_EXAMPLES; default true\]\n/);
    expect(text).toMatch(/ {2}--unit <milliseconds\|seconds> +epoch unit \[T_UNIT; default milliseconds\]\n/);
    expect(text).toMatch(
      /--grace-seconds <seconds> +shutdown grace \[T_GRACE_SECONDS; default 25s\]\n +deprecated: --grace-ms, T_GRACE_MS \(milliseconds\)\n/,
    );
    expect(text).toMatch(
      /--log-level <debug\|info\|warn> +log level \[T_LOG_LEVEL; default info\]\n +deprecated: LOG_LEVEL\n/,
    );
    expect(text).toMatch(/ {2}--nats-url <text> +NATS server \[T_NATS_URL\]\n/);
    expect(text).toMatch(/ {2}--replicas <n> +replicas \[default 1; from 1 to 5\]\n/);
  });
});

describe('requireSettings', () => {
  it('returns the settings, or throws the errors or the help text as a SettingsError', () => {
    expect(requireSettings(load(['--port=1'])).port).toBe(1);
    expect(() => requireSettings(load(['--port=x']))).toThrow(/--port \/ T_PORT: --port="x"/);
    try {
      requireSettings(load(['--help']));
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError);
      expect((err as SettingsError).code).toBe(SettingsCode.HelpRequested);
    }
    expect.assertions(4);
  });
});
