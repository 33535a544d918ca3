import { dashboardPage } from "../../dashboard/page.ts";
import { createRouter } from "../../lib/create-router.ts";
import { htmlPage } from "../../lib/html.ts";

/**
 * `GET /admin`: the admin dashboard. The page itself is public and holds no data —
 * it is a shell whose script signs in against the API and reads
 * `/api/v2/admin/stats`, `/api/v2/admin/alerts` and `/api/v2/servers` as the admin,
 * then listens on `/api/v2/admin/live`. Its script and stylesheet are static assets
 * (scripts/dashboard-assets.ts); the CSP allows exactly those (by nonce and 'self'),
 * no inline script or style, and `X-Frame-Options: DENY` comes from the global
 * security headers.
 */
export const dashboardRouter = createRouter();

dashboardRouter.get("/admin", (c) => {
  const res = htmlPage(c, dashboardPage());
  res.headers.set("Cache-Control", "no-store");
  return res;
});
