import { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema.ts";
import { ROLES } from "../../db/schema.ts";
import { withFormatPattern } from "../../lib/openapi.ts";
import { nameSchema } from "../../lib/text.ts";

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: "01936f3e-5a4b-7c2d-9e8f-0a1b2c3d4e5f" }),
    email: z.email().openapi({ example: "ada@example.com" }),
    name: z.string().openapi({ example: "Ada Lovelace" }),
    role: z.enum(ROLES),
    status: z.enum(["active", "disabled"]),
    email_verified: z.boolean(),
    created_at: z.string().openapi({ example: "2026-11-22T10:00:00.000Z" }),
    updated_at: z.string(),
  })
  .openapi("User");

export type UserDto = z.infer<typeof UserSchema>;

export const toUserDto = (u: UserRow): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  status: u.disabledAt ? "disabled" : "active",
  email_verified: u.emailVerifiedAt !== null,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});

export const EmailSchema = withFormatPattern(z.email({ error: "Invalid email address" }))
  .max(254)
  .openapi({ example: "ada@example.com" });

/** Password policy: 12–256 characters (the cap bounds PBKDF2 work per request). */
export const PasswordSchema = z
  .string()
  .min(12, "Password must be at least 12 characters")
  .max(256, "Password must be at most 256 characters")
  .openapi({ example: "correct horse battery staple", format: "password" });

export const RegisterBody = z
  .object({
    email: EmailSchema,
    password: PasswordSchema.openapi({ description: "Must not be your e-mail address" }),
    name: nameSchema(100).openapi({ example: "Ada Lovelace" }),
  })
  .refine((b) => b.password.trim().toLowerCase() !== b.email.trim().toLowerCase(), {
    message: "Password must not be your e-mail address",
    path: ["password"],
  })
  .openapi("RegisterRequest");

export const LoginBody = z
  .object({
    email: EmailSchema,
    password: z.string().min(1).max(256).openapi({ format: "password" }),
  })
  .openapi("LoginRequest");

export const RefreshBody = z
  .object({ refresh_token: z.string().min(1).max(256) })
  .openapi("RefreshRequest");

export const TokenResponse = z
  .object({
    user: UserSchema,
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ example: 900 }),
  })
  .openapi("TokenResponse");
