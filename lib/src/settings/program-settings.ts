import type { SettingsOutcome } from './load.ts';

/**
 * A program's settings at start-up, or its exit: `--help` prints the usage and exits 0, bad settings
 * print one line each and exit 2. The one place that turns a loader outcome into process effects, so
 * the loader itself stays pure.
 */
export function settingsOrExit<Values>(
  loaded: SettingsOutcome<Values>,
  program: string,
): { settings: Values; warnings: string[] } {
  if (loaded.outcome === 'help') {
    process.stdout.write(loaded.text);
    process.exit(0);
  }
  if (loaded.outcome === 'invalid') {
    process.stderr.write(
      `${loaded.errors.map((e) => `${program}: ${e}\n`).join('')}(--help lists the settings)\n`,
    );
    process.exit(2);
  }
  return { settings: loaded.settings, warnings: loaded.warnings };
}
