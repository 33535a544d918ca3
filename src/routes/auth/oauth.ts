import { githubAuth } from "@hono/oauth-providers/github";
import { googleAuth } from "@hono/oauth-providers/google";
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { deleteCookie } from "hono/cookie";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { resilientFetch } from "../../outbound/fetch.ts";
import { type ProviderProfile, signInWithProvider } from "../../services/auth/oauth.ts";
import { TokenResponse } from "./schemas.ts";
import { signIn } from "./sign-in.ts";

export const oauthRoute = createRoute({
  method: "get",
  path: "/auth/oauth/{provider}",
  tags: ["Auth"],
  operationId: "oauthSignIn",
  summary: "OAuth2 sign-in: redirects to the provider, and handles its callback (same URL)",
  description:
    "Without `code`, redirects (302) to the provider's consent screen and keeps the state in an HttpOnly cookie. The provider sends the user back to this same URL with `code` and `state`; the callback then signs the user in, creating the account on a first sign-in, and answers a token pair. A denied consent or a state that does not match is a 401.",
  request: {
    params: z.object({
      provider: z.enum(["google", "github"]).openapi({ param: { name: "provider", in: "path" } }),
    }),
    // Loose on purpose: this URL is the provider's redirect target, and providers add
    // parameters of their own (Google: scope, authuser, prompt, hd, iss). Refusing
    // one we do not know would break sign-in.
    query: z.looseObject({
      code: z.string().optional().openapi({
        description:
          "Set by the provider on its callback, with `state`; other parameters it adds are ignored",
      }),
      state: z.string().optional(),
      error: z.string().optional(),
    }),
  },
  responses: {
    200: jsonContent(TokenResponse, "Callback handled: signed in"),
    302: { description: "Redirect to the provider's consent screen (state in an HttpOnly cookie)" },
    ...publicApiErrors("unauthorized", "not_found"),
  },
});

type OAuthVars = {
  Variables: {
    token?: { token: string; expires_in?: number };
    "refresh-token"?: { token: string; expires_in?: number };
    "user-google"?: { id: string; email?: string; verified_email?: boolean; name?: string };
    "user-github"?: { id: number; email?: string; name?: string | null; login: string };
  };
};

/** Runs the library middleware and captures the identity it fetched, if it got that far. */
async function runProvider(
  c: Parameters<RouteHandler<typeof oauthRoute, AppEnv>>[0],
  mw: MiddlewareHandler<OAuthVars>,
): Promise<Response | "done"> {
  let reached = false;
  const res = await mw(c as never, async () => {
    reached = true;
  });
  return reached ? "done" : (res as Response);
}

/** GitHub's profile says which address is primary, not whether it is verified: ask. */
async function githubEmailVerified(
  token: string,
  email: string,
  traceparent: string,
): Promise<boolean> {
  const res = await resilientFetch(
    "https://api.github.com/user/emails",
    {
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: "application/json",
        "User-Agent": "edgepanel",
      },
    },
    { purpose: "oauth", traceparent, retries: 1 },
  );
  if (!res.ok) return false;
  const emails = (await res.json()) as { email: string; verified: boolean }[];
  return emails.some((e) => e.email.toLowerCase() === email.toLowerCase() && e.verified);
}

export const oauthHandler: RouteHandler<typeof oauthRoute, AppEnv> = async (c) => {
  const { provider } = c.req.valid("param");
  const query = c.req.valid("query");
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
  if (query.error) {
    deleteCookie(c, "state", { path: "/", secure: true });
    throw new ApiError("unauthorized", {
      detail: `The ${provider} sign-in was not completed: ${query.error.slice(0, 64)}`,
    });
  }
  const redirectUri = new URL(c.req.url);
  redirectUri.search = "";
  const mw =
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
  const outcome = await runProvider(c, mw as MiddlewareHandler<OAuthVars>);
  if (outcome !== "done") return outcome as never;
  deleteCookie(c, "state", { path: "/", secure: true });

  const vars = c as unknown as {
    get<K extends keyof OAuthVars["Variables"]>(k: K): OAuthVars["Variables"][K];
  };
  const token = vars.get("token")?.token ?? null;
  let profile: ProviderProfile;
  if (provider === "google") {
    const u = vars.get("user-google");
    if (!u) throw new ApiError("unauthorized", { detail: "Google returned no profile" });
    profile = {
      provider,
      accountId: String(u.id),
      email: u.email ?? null,
      emailVerified: u.verified_email === true,
      name: u.name ?? "",
      accessToken: token,
      refreshToken: vars.get("refresh-token")?.token ?? null,
    };
  } else {
    const u = vars.get("user-github");
    if (!u) throw new ApiError("unauthorized", { detail: "GitHub returned no profile" });
    const email = u.email ?? null;
    profile = {
      provider,
      accountId: String(u.id),
      email,
      emailVerified:
        email !== null &&
        token !== null &&
        (await githubEmailVerified(token, email, c.get("trace").traceparent)),
      name: u.name ?? u.login,
      accessToken: token,
      refreshToken: vars.get("refresh-token")?.token ?? null,
    };
  }

  const ring = await keyringFor(cfg);
  const result = await signInWithProvider(c.get("db"), ring, profile);
  if (!result.ok) {
    throw new ApiError("forbidden", {
      detail:
        result.error === "unverified_email"
          ? `Your ${provider} account has no verified e-mail address`
          : "This account is deactivated",
    });
  }
  const { user, linked } = result.value;
  const events = [
    ...(linked ? [{ action: "auth.oauth_linked", summary: { provider } }] : []),
    { action: "auth.login", summary: { provider } },
  ];
  const { body } = await signIn(c, user, events);
  return c.json(body, 200);
};
