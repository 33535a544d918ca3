/**
 * Driver-neutral classification of SQLite errors. D1 and libSQL word them
 * differently and drizzle may wrap them, so walk the cause chain and match the
 * SQLite message both engines carry.
 */
function messages(error: unknown): string[] {
  const out: string[] = [];
  let current: unknown = error;
  for (let i = 0; i < 5 && current; i++) {
    if (current instanceof Error) {
      out.push(current.message);
      current = current.cause;
    } else {
      out.push(String(current));
      break;
    }
  }
  return out;
}

/** True when the error is a UNIQUE or PRIMARY KEY constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return messages(error).some((m) =>
    /UNIQUE constraint failed|SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/i.test(m),
  );
}
