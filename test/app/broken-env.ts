import { env } from "cloudflare:workers";
import type { Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";

/** A D1 stand-in whose every query fails the way a broken database does. */
export function throwingD1(
  message = "D1_ERROR: no such table: secret_internal_table: SELECT password_hash FROM users",
): D1Database {
  const fail = () => {
    throw new Error(message);
  };
  const stmt = { bind: () => stmt, first: fail, all: fail, run: fail, raw: fail };
  return {
    prepare: () => stmt,
    batch: fail,
    exec: fail,
    dump: fail,
    withSession: () => ({ prepare: () => stmt, batch: fail, getBookmark: () => null }),
  } as unknown as D1Database;
}

/** A D1 stand-in whose queries never answer. */
export function hangingD1(): D1Database {
  const never = () => new Promise<never>(() => {});
  const stmt = { bind: () => stmt, first: never, all: never, run: never, raw: never };
  return { prepare: () => stmt, batch: never, exec: never } as unknown as D1Database;
}

/**
 * Calls the production Worker entry with a modified env: the way to simulate a
 * binding that throws or a missing secret. Everything else is the real env.
 */
export function fetchWith(
  overrides: Partial<Bindings> & Record<string, unknown>,
  path: string,
  init?: RequestInit,
) {
  const ctx = {
    waitUntil() {},
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  const request = new Request(`https://panel.test${path}`, init);
  return worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...overrides } as Bindings,
    ctx,
  );
}
