export * from './definition.ts';
export { loadSettings, settingName, type SettingsOutcome } from './load.ts';
export { BOOLEAN_TEXT } from './parse-value.ts';
export { requireSettings, SettingsCode, SettingsError } from './settings-error.ts';
export { usageText, type ProgramText } from './usage.ts';
export { LOG_LEVELS, SHARED_SETTINGS } from './shared.ts';
export { settingsOrExit } from './program-settings.ts';
