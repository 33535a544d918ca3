/**
 * Services return expected failures as values; handlers translate them into
 * problems. Exceptions are for the unexpected.
 */
export type Result<T, E extends string = string, D = string> =
  | { ok: true; value: T }
  | { ok: false; error: E; detail?: D };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E extends string, D = string>(
  error: E,
  detail?: D,
): { ok: false; error: E; detail?: D } =>
  detail === undefined ? { ok: false, error } : { ok: false, error, detail };
