import { DASHBOARD_ASSETS } from "./assets.ts";

/** The totals cards: `data-stat` is the path of the figure in the stats document. */
const CARDS: [stat: string, label: string][] = [
  ["users.total", "Users"],
  ["servers.total", "Servers"],
  ["servers.by_status.down", "Servers down"],
  ["requests.last_hour", "Requests, last hour"],
  ["errors.last_hour", "Errors, last hour"],
  ["cache.hit_ratio", "Cache hit ratio"],
  ["rate_limited.last_hour", "Rate-limited, last hour"],
  ["submissions.last_30_days", "Submissions, 30 days"],
  ["jobs.failed", "Failed jobs"],
  ["webhooks.success_rate", "Webhook success"],
  ["alerts.open", "Open alerts"],
];

const CHARTS: [id: string, title: string][] = [
  ["requests", "Requests and errors per minute, last hour"],
  ["servers", "Servers by status"],
  ["cache", "Cache hit ratio (since this page opened)"],
  ["rate-limited", "Rate-limited requests in the last hour (since this page opened)"],
  ["submissions", "Submissions per day, last 30 days"],
];

const table = (id: string, title: string, columns: string[], empty: string) => `
      <section class="panel" aria-labelledby="${id}-title">
        <h2 id="${id}-title">${title}</h2>
        <div class="scroll" tabindex="0" role="region" aria-labelledby="${id}-title">
          <table id="${id}">
            <thead><tr>${columns.map((c) => `<th scope="col">${c}</th>`).join("")}</tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <p class="empty" id="${id}-empty">${empty}</p>
      </section>`;

/**
 * The admin dashboard's HTML: a static shell with no data in it. The bundled script
 * (scripts/dashboard-assets.ts) signs in, fetches the figures and fills the shell
 * with `textContent` only, so nothing an API value contains is ever parsed as
 * markup. The sign-in form posts nowhere without the script (a password never
 * travels in a URL).
 */
export const dashboardPage = () => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${DASHBOARD_ASSETS.style}">
    <title>edgepanel admin</title>
  </head>
  <body>
    <a class="skip" href="#main">Skip to content</a>
    <header class="bar">
      <h1>edgepanel <span>admin</span></h1>
      <p id="live" class="live" role="status" aria-live="polite" data-state="offline">offline</p>
      <p id="who" class="who"></p>
      <button id="logout" type="button" hidden>Sign out</button>
    </header>
    <main id="main">
      <section id="signin" class="signin" aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in</h2>
        <form id="signin-form" method="post" action="/admin" autocomplete="on">
          <label for="email">E-mail</label>
          <input id="email" name="email" type="email" autocomplete="username" required>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required>
          <button type="submit">Sign in</button>
          <p id="signin-error" class="error" role="alert"></p>
        </form>
        <noscript><p class="error">The dashboard needs JavaScript.</p></noscript>
      </section>

      <div id="dashboard" hidden>
        <p id="notice" class="error" role="alert"></p>
        <section aria-labelledby="totals-title">
          <h2 id="totals-title" class="visually-hidden">Totals</h2>
          <dl class="cards">${CARDS.map(
            ([stat, label]) =>
              `\n            <div class="card"><dt>${label}</dt><dd data-stat="${stat}">–</dd></div>`,
          ).join("")}
          </dl>
          <p class="meta">Figures as of <time id="generated-at">–</time></p>
        </section>

        <section class="charts" aria-label="Charts">${CHARTS.map(
          ([id, title]) => `
          <figure class="panel">
            <figcaption id="chart-${id}-title">${title}</figcaption>
            <div id="chart-${id}" class="chart" role="img" aria-labelledby="chart-${id}-title"></div>
          </figure>`,
        ).join("")}
        </section>

        <div class="tables">${table("alerts", "Recent alerts", ["Raised", "Metric", "Status", "Message"], "No alerts.")}${table("jobs", "Failed jobs", ["Failed", "Type", "Error"], "No failed jobs.")}${table("endpoints", "Failing webhook endpoints", ["URL", "Failures in a row", "State"], "Every endpoint is delivering.")}
        </div>

        <section class="panel" aria-labelledby="servers-title">
          <h2 id="servers-title">Servers</h2>
          <form id="server-filters" class="filters" role="search">
            <label for="server-search">Search</label>
            <input id="server-search" type="search" placeholder="name, host or tag" autocomplete="off">
            <label for="server-status">Status</label>
            <select id="server-status">
              <option value="">any</option>
              <option value="up">up</option>
              <option value="degraded">degraded</option>
              <option value="down">down</option>
              <option value="unknown">unknown</option>
            </select>
            <output id="server-count" for="server-search server-status"></output>
          </form>
          <div class="scroll" tabindex="0" role="region" aria-labelledby="servers-title">
            <table id="servers">
              <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Host</th><th scope="col">Environment</th><th scope="col">Tags</th><th scope="col">Last check</th></tr></thead>
              <tbody></tbody>
            </table>
          </div>
        </section>
      </div>
    </main>
    <script type="module" src="${DASHBOARD_ASSETS.script}"></script>
  </body>
</html>
`;
