import { z } from "@hono/zod-openapi";
import { ROLES } from "../../db/schema.ts";
import { withFormatPattern } from "../../lib/openapi.ts";
import { listOf } from "../../lib/pagination.ts";
import { nameSchema } from "../../lib/text.ts";
import { UserSchema } from "../auth/schemas.ts";

export const UserIdParam = z.object({
  id: withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name: "id", in: "path" },
  }),
});

export const UserListSchema = listOf(UserSchema, "UserList");

export const UpdateUserBody = z
  .object({
    name: nameSchema(100).optional(),
    role: z.enum(ROLES).optional(),
    status: z
      .enum(["active", "disabled"])
      .optional()
      .openapi({ description: "disabled revokes every session and key" }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one field to change" })
  .openapi("UpdateUserRequest", { minProperties: 1 });
