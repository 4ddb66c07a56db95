import { ErrorCodes, RealtimeError } from '../errors/index.js';

/** The one error `loadConfig` throws (ERR_CONFIG_INVALID): every configuration problem found, one per line. */
export class ConfigError extends RealtimeError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * Runs a configuration loader for a process entry point: on a ConfigError it prints the list of
 * problems and exits with status 1; any other error propagates.
 */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
