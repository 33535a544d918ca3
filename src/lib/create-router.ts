import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { ApiError, type FieldError } from "./problem.ts";

type Issue = { path: PropertyKey[]; message: string };

/** Turns zod issues into one `{path, message}` per bad field; body paths are bare. */
export function toFieldErrors(target: string, issues: readonly Issue[]): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const prefix =
      target === "json" || target === "form" ? "" : `${target === "param" ? "path" : target}`;
    return {
      path: prefix ? (path ? `${prefix}.${path}` : prefix) : path || "(body)",
      message: issue.message,
    };
  });
}

/**
 * Every router is built here so every route validates and fails the same way:
 * a zod failure becomes a 422 problem with one entry per bad field.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        const errors = toFieldErrors(result.target, result.error.issues);
        throw new ApiError("validation", {
          detail: `The request has ${errors.length} invalid field${errors.length === 1 ? "" : "s"}`,
          errors,
        });
      }
    },
  });
}
