import { and, asc, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import type { Database } from "../client.ts";
import { isUniqueViolation } from "../errors.ts";
import { insertIf, rowExists } from "../mutation.ts";
import {
  apiKeys,
  oauthAccounts,
  type Role,
  refreshTokens,
  serverChecks,
  servers,
  type UserRow,
  users,
} from "../schema.ts";

/** Canonical form of an e-mail address for storage and lookup. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export interface CreateUserInput {
  email: string;
  name: string;
  passwordHash: string | null;
  emailVerified?: boolean;
  /** Forces a role (seed, admin tools); otherwise first user → admin, others → viewer. */
  role?: Role;
}

/** A new user's row with an explicit role; see {@link insertUser}. */
export function newUserRow(input: CreateUserInput & { role: Role }): UserRow {
  const now = nowIso();
  return {
    id: uuidv7(),
    email: normaliseEmail(input.email),
    name: input.name,
    role: input.role,
    passwordHash: input.passwordHash,
    emailVerifiedAt: input.emailVerified ? now : null,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The user exists (and, with `condition`, that also holds): the precondition of a
 * mutation of the user, checked inside its batch.
 */
export const userExists = (id: string, condition?: SQL) =>
  rowExists(users, and(eq(users.id, id), condition) as SQL);

/** No user exists yet: the condition under which a registration becomes admin. */
export const noUsersYet = sql`not exists (select 1 from ${users})`;

/**
 * The INSERT of a new user, for a mutation. With a condition (`noUsersYet` for
 * the first admin) the row is inserted only while it holds, so of two
 * concurrent first registrations only one becomes admin. An e-mail already
 * registered fails the whole batch (unique index).
 */
export const insertUser = (db: Database, row: UserRow, onlyIf?: SQL) =>
  insertIf(db, users, row, onlyIf).returning({ id: users.id });

/**
 * Inserts a user on its own (OAuth sign-up, seed). Without an explicit role, the
 * first user of an empty database becomes admin: decided inside the single
 * INSERT … SELECT statement, so two concurrent first registrations cannot both
 * become admin.
 */
export async function createUser(
  db: Database,
  input: CreateUserInput,
): Promise<Result<UserRow, "email_taken">> {
  const now = nowIso();
  const id = uuidv7();
  const email = normaliseEmail(input.email);
  const role = input.role
    ? sql`${input.role}`
    : sql`case when exists (select 1 from ${users}) then 'viewer' else 'admin' end`;
  try {
    await db.run(sql`
      insert into ${users} (id, email, name, role, password_hash, email_verified_at, created_at, updated_at)
      select ${id}, ${email}, ${input.name}, ${role}, ${input.passwordHash},
             ${input.emailVerified ? now : null}, ${now}, ${now}`);
  } catch (error) {
    if (isUniqueViolation(error)) return err("email_taken");
    throw error;
  }
  const row = await findUserById(db, id);
  if (!row) throw new Error("user vanished after insert");
  return ok(row);
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  return db
    .select()
    .from(users)
    .where(eq(users.email, normaliseEmail(email)))
    .get();
}

export interface ListUsersOptions {
  limit: number;
  /** Id of the last row of the previous page (ids are UUIDv7, so this is creation order). */
  afterId?: string | undefined;
  role?: Role | undefined;
}

/** One page in id (= creation) order, plus whether another page follows. */
export async function listUsers(
  db: Database,
  { limit, afterId, role }: ListUsersOptions,
): Promise<{ rows: UserRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(users)
    .where(
      and(afterId ? gt(users.id, afterId) : undefined, role ? eq(users.role, role) : undefined),
    )
    .orderBy(asc(users.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function countUsers(db: Database): Promise<number> {
  const row = await db.select({ n: sql<number>`count(*)` }).from(users).get();
  return Number(row?.n ?? 0);
}

export interface UpdateUserInput {
  name?: string | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
  passwordHash?: string | undefined;
}

/** The columns a patch changes. */
export function userPatchColumns(patch: UpdateUserInput, now = nowIso()): Partial<UserRow> {
  const set: Partial<UserRow> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
  if (patch.disabled !== undefined) set.disabledAt = patch.disabled ? now : null;
  return set;
}

/** The UPDATE of a user, under an optional extra condition; returns the row, or nothing. */
export const updateUserWhere = (db: Database, id: string, set: Partial<UserRow>, onlyIf?: SQL) =>
  db
    .update(users)
    .set(set)
    .where(and(eq(users.id, id), onlyIf))
    .returning();

export async function updateUser(
  db: Database,
  id: string,
  patch: UpdateUserInput,
): Promise<UserRow | undefined> {
  return updateUserWhere(db, id, userPatchColumns(patch)).get();
}

/**
 * Statements deleting a user and everything they own, children first. Spelled
 * out rather than left to ON DELETE CASCADE, which libSQL connections do not
 * enforce unless foreign keys are switched on, so both drivers delete the same
 * rows. Each is guarded by `onlyIf` (the last-admin rule); the user's own DELETE
 * returns the row when it applied.
 */
export function deleteUserStatements(db: Database, id: string, onlyIf?: SQL) {
  const ownServers = db.select({ id: servers.id }).from(servers).where(eq(servers.ownerId, id));
  return {
    dependents: [
      db.delete(serverChecks).where(and(inArray(serverChecks.serverId, ownServers), onlyIf)),
      db.delete(servers).where(and(eq(servers.ownerId, id), onlyIf)),
      db.delete(apiKeys).where(and(eq(apiKeys.ownerId, id), onlyIf)),
      db.delete(refreshTokens).where(and(eq(refreshTokens.userId, id), onlyIf)),
      db.delete(oauthAccounts).where(and(eq(oauthAccounts.userId, id), onlyIf)),
    ] as const,
    user: db
      .delete(users)
      .where(and(eq(users.id, id), onlyIf))
      .returning({ id: users.id }),
  };
}

export async function deleteUser(db: Database, id: string): Promise<boolean> {
  const { dependents, user } = deleteUserStatements(db, id);
  const results = await db.batch([...dependents, user]);
  return results[dependents.length].length > 0;
}
