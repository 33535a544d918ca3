import { githubAuth } from "@hono/oauth-providers/github";
import { googleAuth } from "@hono/oauth-providers/google";
import type { MiddlewareHandler } from "hono";
import { deleteCookie } from "hono/cookie";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/problem.ts";

/** The callback parameters the provider libraries read; each must appear at most once. */
const CALLBACK_PARAMETERS = ["code", "state", "error"];

/**
 * Route middleware for `GET /auth/oauth/{provider}`: runs the provider's OAuth2 flow
 * (`@hono/oauth-providers`) with this deployment's client credentials. Without a
 * `code` it answers the redirect to the consent screen (state in an HttpOnly cookie);
 * on the callback it exchanges the code, fetches the profile and hands over to the
 * route's handler with `token`, `refresh-token` and `user-<provider>` set.
 *
 * A provider that is not configured is a 404; a callback carrying `error` (the user
 * declined) a 401. What the route's validators would refuse (an unknown provider, a
 * repeated parameter) is left to them, before anything is sent to a provider.
 */
export const oauthProvider = (): MiddlewareHandler<AppEnv> =>
  async function oauthProvider(c, next) {
    const provider = c.req.param("provider");
    if (provider !== "google" && provider !== "github") return next();
    if (CALLBACK_PARAMETERS.some((k) => (c.req.queries(k)?.length ?? 0) > 1)) return next();
    const cfg = c.get("config");
    const creds =
      provider === "google"
        ? { id: cfg.GOOGLE_CLIENT_ID, secret: cfg.GOOGLE_CLIENT_SECRET }
        : { id: cfg.GITHUB_CLIENT_ID, secret: cfg.GITHUB_CLIENT_SECRET };
    if (!creds.id || !creds.secret) {
      throw new ApiError("not_found", {
        detail: `Sign-in with ${provider} is not configured on this deployment`,
      });
    }
    const error = c.req.query("error");
    if (error !== undefined) {
      deleteCookie(c, "state", { path: "/", secure: true });
      throw new ApiError("unauthorized", {
        detail: `The ${provider} sign-in was not completed: ${error.slice(0, 64)}`,
      });
    }
    const redirectUri = new URL(c.req.url);
    redirectUri.search = "";
    const flow =
      provider === "google"
        ? googleAuth({
            client_id: creds.id,
            client_secret: creds.secret,
            scope: ["openid", "email", "profile"],
            redirect_uri: redirectUri.toString(),
          })
        : githubAuth({
            client_id: creds.id,
            client_secret: creds.secret,
            scope: ["read:user", "user:email"],
            oauthApp: true,
            redirect_uri: redirectUri.toString(),
          });
    return flow(c, next);
  };
