import { setting } from './definition.ts';

/** pino's levels, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings both programs have, so that they have them under the same names. */
export const SHARED_SETTINGS = {
  logLevel: setting.enum({
    flag: 'log-level',
    env: 'C2C_LOG_LEVEL',
    choices: LOG_LEVELS,
    default: 'info',
    description: 'least severe log lines written (silent: none)',
    // The allocator's only name for it before C2C_LOG_LEVEL; read by both programs.
    deprecatedNames: [{ env: 'LOG_LEVEL' }],
  }),
  shutdownGraceSeconds: setting.duration({
    flag: 'shutdown-grace-seconds',
    env: 'C2C_SHUTDOWN_GRACE_SECONDS',
    unit: 's',
    default: 25,
    description: 'a shutdown taking longer exits at once',
  }),
};
