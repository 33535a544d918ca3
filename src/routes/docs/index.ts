import type { OpenAPIHono } from "@hono/zod-openapi";
import { getHtmlDocument } from "@scalar/core/libs/html-rendering";
import { edgeCache } from "../../cache/edge.ts";
import type { AppEnv } from "../../env.ts";
import { htmlPage } from "../../lib/html.ts";

export const OPENAPI_PATH = "/openapi.json";

const SCALAR_CDN = "https://cdn.jsdelivr.net";

/**
 * `GET /openapi.json` (OpenAPI 3.1 generated from the zod route definitions) and
 * `GET /docs` (Scalar). Scalar's hono wrapper renders without a CSP nonce, so we
 * render its HTML ourselves and serve it through `htmlPage` with a strict CSP.
 */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A 15-minute access token from POST /api/v2/auth/login, or an API key (ep_live_…).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyAuth", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key: ep_live_ + 30 base62 characters + a 6-character checksum.",
  });

  // The same document for everyone: cached at the edge under the `docs` tag.
  app.use(OPENAPI_PATH, edgeCache({ tags: ["docs"], maxAge: 300 }));
  app.use("/docs", edgeCache({ tags: ["docs"], maxAge: 300 }));

  app.doc31(OPENAPI_PATH, (c) => ({
    openapi: "3.1.0",
    info: {
      title: "edgepanel API",
      version: "2.0.0",
      description:
        "Server-management panel API on Cloudflare Workers. Errors are RFC 9457 problem documents (application/problem+json). " +
        "A query parameter an operation does not declare is refused with a 400 `unknown_query_parameter` problem. " +
        "String lengths (minLength, maxLength) count UTF-16 code units, as JavaScript does: a character outside the Basic Multilingual Plane (most emoji) counts as two.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: new URL(c.req.url).origin, description: "This deployment" }],
    tags: [
      { name: "Operations", description: "Health, documentation and metrics" },
      { name: "Auth", description: "Registration, login, tokens and OAuth" },
    ],
  }));

  app.get("/docs", (c) =>
    htmlPage(
      c,
      getHtmlDocument({
        url: OPENAPI_PATH,
        pageTitle: "edgepanel API reference",
        _integration: "hono",
      }),
      {
        scriptSrc: [SCALAR_CDN],
        // Scalar's Vue runtime injects <style> elements at run time, which a nonce cannot cover.
        styleSrc: ["'unsafe-inline'"],
        fontSrc: ["https://fonts.scalar.com"],
        imgSrc: ["https:"],
      },
    ),
  );
}
