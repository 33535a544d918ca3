/**
 * The server's route table as plain data types, for the published client
 * (packages/client). `ExtractSchema<AppType>` still refers to server modules (zod
 * schemas, route files); `Expand` resolves it into nested object types, which the
 * declaration printer then writes out in full, so the package needs nothing from
 * src/ (only hono's own JSON types). Used by scripts/client-routes.ts (generation)
 * and test/client/client.test.ts (drift check).
 */
import type { ExtractSchema } from "hono/types";
import type { JSONArray, JSONObject, JSONValue } from "hono/utils/types";
import type { AppType } from "../src/app.ts";

/** Exact identity (mutual assignability would also match `{}` with JSONObject). */
type Same<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

/**
 * Resolves every alias and mapped type inside T. Kept as they are: `any` (its keys are
 * every key), functions, and hono's recursive JSON types (what `unknown` becomes in a
 * JSON response), which would otherwise expand forever.
 */
export type Expand<T> = 0 extends 1 & T
  ? T
  : Same<T, JSONValue> extends true
    ? JSONValue
    : Same<T, JSONObject> extends true
      ? JSONObject
      : Same<T, JSONArray> extends true
        ? JSONArray
        : ExpandEach<T>;

type ExpandEach<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { [K in keyof T]: Expand<T[K]> }
    : T;

export type ServerSchema = Expand<ExtractSchema<AppType>>;
