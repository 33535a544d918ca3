import { z } from "@hono/zod-openapi";

/** `?limit=1..100` (default 20) and an opaque `cursor`, shared by every list. */
export const PaginationQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z
    .string()
    .max(512)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "next_cursor from the previous page",
    }),
});

/** `{data, next_cursor}` envelope for a list of `item`. */
export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as ?cursor= for the next page; null at the end" }),
    })
    .openapi(name);
