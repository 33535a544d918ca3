import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { htmlPage } from "../../lib/html.ts";
import { edgeCache } from "../../middleware/edge-cache.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { docsPage } from "./page.ts";

export const OPENAPI_PATH = "/openapi.json";

/**
 * `GET /openapi.json` (OpenAPI 3.1 generated from the zod route definitions) and
 * `GET /docs` (Scalar's API reference, its script served by us as a static asset).
 * Both are the same for everyone and cached at the edge under the `docs` tag; the
 * page's nonce is renewed on every hit (src/middleware/edge-cache.ts).
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
  // Declared here with the others: a component registered on a sub-router's registry
  // does not reach the document built from the app's.
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", {
    type: "http",
    scheme: "bearer",
    description: "The deployment's METRICS_TOKEN (not a user's token): for Prometheus scrapers.",
  });

  app.use(OPENAPI_PATH, edgeCache({ tags: ["docs"], maxAge: 300 }));
  app.use("/docs", edgeCache({ tags: ["docs"], maxAge: 300 }));

  app.get(OPENAPI_PATH, (c) => c.json(buildOpenApiDocument(app, c)));

  app.get("/docs", (c) =>
    htmlPage(c, docsPage({ openApiPath: OPENAPI_PATH, title: "edgepanel API reference" }), {
      // Vue writes some style="…" attributes as markup; a nonce cannot allow an
      // attribute, nor a hash one whose value changes. <style> elements stay nonce-only.
      styleSrcAttr: ["'unsafe-inline'"],
    }),
  );
}
