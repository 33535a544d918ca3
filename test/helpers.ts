import { env, exports } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { expect } from "vitest";
import { getDatabase } from "../src/db/client.ts";
import { Mutation } from "../src/db/mutation.ts";
import { insertUser, newUserRow } from "../src/db/queries/users.ts";
import type { Role } from "../src/db/schema.ts";
import { loadConfig } from "../src/env.ts";
import { ProblemSchema } from "../src/lib/openapi.ts";
import { hashPassword } from "../src/lib/password.ts";
import { CreatedApiKeySchema } from "../src/routes/api-keys/schemas.ts";
import { TokenResponse, toUserDto } from "../src/routes/auth/schemas.ts";
import { newSession, recordSession } from "../src/services/auth/session.ts";

export const BASE = "https://panel.test";

/** Calls the real Worker (same entry as production) with a JSON body when given. */
export async function api(
  path: string,
  {
    method = "GET",
    body,
    headers = {},
    token,
    apiKey,
  }: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    token?: string;
    apiKey?: string;
  } = {},
): Promise<Response> {
  const h = new Headers(headers);
  if (body !== undefined && !h.has("content-type")) h.set("content-type", "application/json");
  if (token) h.set("authorization", `Bearer ${token}`);
  if (apiKey) h.set("x-api-key", apiKey);
  return exports.default.fetch(`${BASE}${path}`, {
    method,
    headers: h,
    // A client sees our redirects; it does not follow them into the provider.
    redirect: "manual",
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Asserts the status, printing the body on failure, and returns the parsed JSON. */
export async function expectStatus<T = Record<string, unknown>>(
  res: Response,
  status: number,
): Promise<T> {
  const text = await res.clone().text();
  expect(res.status, `body: ${text}`).toBe(status);
  return (text ? JSON.parse(text) : null) as T;
}

/**
 * Asserts the status and that the body matches the route's own response schema
 * (printing the schema's complaints on failure), and returns the body as sent:
 * parsing would strip members the test may want to see are absent.
 */
export async function expectBody<S extends z.ZodType>(
  res: Response,
  status: number,
  schema: S,
): Promise<z.infer<S>> {
  const body = await expectStatus<unknown>(res, status);
  const parsed = schema.safeParse(body);
  expect(parsed.success, `schema: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
  return body as z.infer<S>;
}

/** Asserts an RFC 9457 problem response and returns it (extension members included). */
export async function expectProblem(res: Response, status: number, type?: string) {
  const body = await expectBody(res, status, ProblemSchema.loose());
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(body.status).toBe(status);
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  if (type) expect(body.type).toBe(`/problems/${type}`);
  return body;
}

/**
 * Env overrides with real (non-development) secrets and ENVIRONMENT=production, for
 * tests of what differs outside development. Pass to fetchWith or deliver().
 */
export const PRODUCTION_VARS = {
  ENVIRONMENT: "production",
  // Test-only values shaped like real secrets (the weak-secret checks refuse
  // repeats and patterns outside development).
  JWT_SECRET: "Vq3xL8nR2tZ7cW5kP9mB4hJ6fD1sG0aYe",
  ENCRYPTION_KEY: "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=",
  METRICS_TOKEN: "mT7kQ2vX9pL4rZ8wN3cB6yH1",
  TURNSTILE_SECRET: "real-turnstile-secret",
};

let counter = 0;
export const uniqueEmail = (tag = "user") =>
  `${tag}-${Date.now().toString(36)}-${++counter}@example.com`;
export const PASSWORD = "correct horse battery staple";

/** What registration and login answer: the user and a token pair. */
export type Session = z.infer<typeof TokenResponse>;

/** A distinct documentation-range client IP per call, so tests never share a per-IP limit by accident. */
let ipCounter = 0;
export const uniqueIp = () =>
  `198.18.${Math.floor(++ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;

export async function register(
  email = uniqueEmail(),
  password = PASSWORD,
  name = "Test User",
): Promise<Session> {
  const res = await api("/api/v2/auth/register", {
    method: "POST",
    body: { email, password, name },
    headers: { "cf-connecting-ip": uniqueIp() },
  });
  return expectBody(res, 201, TokenResponse);
}

export interface SeedUserOptions {
  role?: Role;
  email?: string;
  name?: string;
  /** The password login accepts; `null` for an account without one (OAuth-only). */
  password?: string | null;
  disabled?: boolean;
  emailVerified?: boolean;
}

/** One PBKDF2 run per test file: every seeded user with the default password shares its hash. */
let defaultPasswordHash: Promise<string> | undefined;
function passwordHashOf(password: string): Promise<string> {
  if (password !== PASSWORD) return hashPassword(password);
  defaultPasswordHash ??= hashPassword(PASSWORD);
  return defaultPasswordHash;
}

/**
 * Inserts a user with exactly the given role (default viewer) through drizzle, with a
 * session as sign-in would start it, and returns what login would have answered.
 * Tests state the role they need instead of relying on "the first registration
 * becomes admin" (tested once, in test/routes/auth/register-login.test.ts).
 */
export async function seedUser({
  role = "viewer",
  email = uniqueEmail(role),
  name = "Test User",
  password = PASSWORD,
  disabled = false,
  emailVerified = false,
}: SeedUserOptions = {}): Promise<Session> {
  const db = getDatabase(env);
  const passwordHash = password === null ? null : await passwordHashOf(password);
  const row = newUserRow({ email, name, passwordHash, role, emailVerified });
  if (disabled) row.disabledAt = row.createdAt;
  const session = await newSession(loadConfig(env).JWT_SECRET, row);
  const unit = new Mutation(db);
  unit.write(insertUser(db, row));
  recordSession(unit, session);
  await unit.commit();
  return { user: toUserDto(row), ...session.body };
}

export async function createKey(token: string, body: Record<string, unknown> = {}) {
  return expectBody(
    await api("/api/v2/api-keys", {
      method: "POST",
      token,
      body: { name: "test key", scopes: ["servers:read"], ...body },
    }),
    201,
    CreatedApiKeySchema,
  );
}

/** Seals every committed audit entry through the real sequencer object; returns how many. */
export async function sealAudit(): Promise<number> {
  const { env } = await import("cloudflare:workers");
  const { sequencerStub } = await import("../src/audit/wake.ts");
  let sealed = 0;
  for (;;) {
    const r = await sequencerStub(env.AUDIT_SEQUENCER).seal();
    sealed += r.sealed;
    if (!r.more) return sealed;
  }
}
