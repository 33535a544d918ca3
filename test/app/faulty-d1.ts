/**
 * A real D1 database with one injected fault: the Nth statement executed
 * (counting each statement of a batch) fails, or never answers. Inside a batch
 * the Nth statement is swapped for one that fails in SQLite itself, so the real
 * D1 runs the statements before it and then rolls the whole batch back — the
 * atomicity under test is D1's own, not a simulation of it.
 */
export type Fault = { failAt: number } | { hangAt: number };

const FAILING_SQL = "select * from __injected_failure__";

export function faultyD1(real: D1Database, fault: Fault) {
  let executed = 0;
  const target = "failAt" in fault ? fault.failAt : fault.hangAt;
  const hang = "hangAt" in fault;
  const reached = () => executed >= target;

  /** Counts `n` statements about to run; true when the fault falls among them. */
  const take = (n: number) => {
    const start = executed;
    executed += n;
    return start < target && target <= executed ? target - start - 1 : -1;
  };

  const never = () => new Promise<never>(() => {});
  const injected = () => Promise.reject(new Error("D1_ERROR: injected failure"));

  type Wrapped = D1PreparedStatement & { real: D1PreparedStatement };
  const wrapStatement = (stmt: D1PreparedStatement): Wrapped => {
    const run =
      <K extends "first" | "all" | "run" | "raw">(method: K) =>
      (...args: unknown[]) => {
        if (take(1) === 0) return hang ? never() : injected();
        return (stmt[method] as (...a: unknown[]) => Promise<unknown>).apply(stmt, args);
      };
    return {
      real: stmt,
      bind: (...values: unknown[]) => wrapStatement(stmt.bind(...values)),
      first: run("first"),
      all: run("all"),
      run: run("run"),
      raw: run("raw"),
    } as unknown as Wrapped;
  };

  const wrapDatabase = <
    T extends { prepare(q: string): D1PreparedStatement; batch: D1Database["batch"] },
  >(
    db: T,
  ) => ({
    prepare: (query: string) => wrapStatement(db.prepare(query)),
    batch: (statements: Wrapped[]) => {
      const at = take(statements.length);
      if (at >= 0 && hang) return never();
      const reals = statements.map((s, i) => (i === at ? db.prepare(FAILING_SQL) : s.real));
      return db.batch(reals);
    },
  });

  const db = {
    ...wrapDatabase(real),
    exec: (q: string) => real.exec(q),
    dump: () => real.dump(),
    withSession: (constraint?: string) => {
      const session = real.withSession(constraint as D1SessionConstraint);
      return { ...wrapDatabase(session), getBookmark: () => session.getBookmark() };
    },
  } as unknown as D1Database;

  return { db, executed: () => executed, reached };
}
