/**
 * Where the dashboard's bundle is served from: static assets built into `public/`
 * by scripts/dashboard-assets.ts. Fixed names, revalidated on every load
 * (public/_headers), so a deploy is picked up at once.
 */
export const DASHBOARD_ASSETS = {
  script: "/admin/assets/dashboard.js",
  style: "/admin/assets/dashboard.css",
} as const;
