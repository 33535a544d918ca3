import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { deleteCookie } from "hono/cookie";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { oauthProvider } from "../../middleware/oauth-provider.ts";
import { resilientFetch } from "../../outbound/fetch.ts";
import { type ProviderProfile, signInWithProvider } from "../../services/auth/oauth.ts";
import { TokenResponse } from "./schemas.ts";
import { signIn } from "./sign-in.ts";

export const oauthRoute = createRoute({
  middleware: oauthProvider(),
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

/**
 * The provider's callback, once `oauthProvider` (the route's middleware) has exchanged
 * the code and fetched the profile: signs the identity in and answers tokens.
 */
export const oauthHandler: RouteHandler<typeof oauthRoute, AppEnv> = async (c) => {
  const { provider } = c.req.valid("param");
  deleteCookie(c, "state", { path: "/", secure: true });

  const token = c.get("token")?.token ?? null;
  const refreshToken = c.get("refresh-token")?.token ?? null;
  let profile: ProviderProfile;
  if (provider === "google") {
    const u = c.get("user-google");
    if (!u?.id) throw new ApiError("unauthorized", { detail: "Google returned no profile" });
    profile = {
      provider,
      accountId: String(u.id),
      email: u.email ?? null,
      emailVerified: u.verified_email === true,
      name: u.name ?? "",
      accessToken: token,
      refreshToken,
    };
  } else {
    const u = c.get("user-github");
    if (!u?.id) throw new ApiError("unauthorized", { detail: "GitHub returned no profile" });
    const email = u.email ?? null;
    profile = {
      provider,
      accountId: String(u.id),
      email,
      emailVerified:
        email !== null &&
        token !== null &&
        (await githubEmailVerified(token, email, c.get("trace").traceparent)),
      name: u.name ?? u.login ?? "",
      accessToken: token,
      refreshToken,
    };
  }

  const ring = await keyringFor(c.get("config"));
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
