import { sql } from "drizzle-orm";
import { check, index, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Timestamps are RFC 3339 UTC strings with milliseconds (`toISOString()`): they
 * sort lexically, read well in raw SQL and need no conversion on the way out.
 */
const timestamps = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
};

export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Normalised (trimmed, lower-cased) so uniqueness is case-insensitive. */
    email: text("email").notNull().unique(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull().default("viewer"),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null for OAuth-only users. */
    passwordHash: text("password_hash"),
    emailVerifiedAt: text("email_verified_at"),
    /** Set when an admin deactivates the user; their tokens and keys stop working. */
    disabledAt: text("disabled_at"),
    ...timestamps,
  },
  (t) => [
    check("users_role_check", sql`${t.role} in ('admin', 'operator', 'viewer')`),
    index("users_role_idx").on(t.role, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
