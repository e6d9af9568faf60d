import { AppError } from '../errors.ts';
import type { SettingsOutcome } from './load.ts';

export const SettingsCode = {
  Invalid: 'SETTINGS_INVALID',
  HelpRequested: 'SETTINGS_HELP_REQUESTED',
} as const;
export type SettingsCode = (typeof SettingsCode)[keyof typeof SettingsCode];

/** The settings of an outcome, for callers that want them or an error (tests, tools checking argv). */
export class SettingsError extends AppError<SettingsCode> {}

export function requireSettings<Values>(loaded: SettingsOutcome<Values>): Values {
  if (loaded.outcome === 'loaded') return loaded.settings;
  if (loaded.outcome === 'help') throw new SettingsError(SettingsCode.HelpRequested, loaded.text);
  throw new SettingsError(SettingsCode.Invalid, loaded.errors.join('\n'), {
    details: { errors: loaded.errors },
  });
}
