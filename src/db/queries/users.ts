import { and, asc, eq, gt, sql } from "drizzle-orm";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import type { Database } from "../client.ts";
import { isUniqueViolation } from "../errors.ts";
import { type Role, type UserRow, users } from "../schema.ts";

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

/**
 * Inserts a user. Without an explicit role, the first user of an empty database
 * becomes admin: decided inside the single INSERT … SELECT statement, so two
 * concurrent first registrations cannot both become admin.
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

export async function updateUser(
  db: Database,
  id: string,
  patch: UpdateUserInput,
): Promise<UserRow | undefined> {
  const now = nowIso();
  const set: Partial<typeof users.$inferInsert> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
  if (patch.disabled !== undefined) set.disabledAt = patch.disabled ? now : null;
  return db.update(users).set(set).where(eq(users.id, id)).returning().get();
}

export async function deleteUser(db: Database, id: string): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id }).all();
  return rows.length > 0;
}
