import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/problem.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const ACCEPTED = /^(application\/([\w.-]+\+)?json|multipart\/form-data)\s*(;|$)/i;

/**
 * A request that carries a body must say it is JSON (or multipart for uploads):
 * otherwise the validator would see no body and answer with a confusing 422 for
 * every field. Bodyless POSTs (e.g. `/rotate` with defaults) pass.
 */
export const requireJsonBody = (): MiddlewareHandler<AppEnv> =>
  async function requireJsonBody(c, next) {
    if (BODY_METHODS.has(c.req.method)) {
      const length = c.req.header("content-length");
      const hasBody =
        (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
      const type = c.req.header("content-type") ?? "";
      if (hasBody && !ACCEPTED.test(type)) {
        throw new ApiError("unsupported_media_type", {
          detail: "Send the request body as application/json",
          headers: { "Accept-Post": "application/json", "Accept-Patch": "application/json" },
        });
      }
    }
    await next();
  };
