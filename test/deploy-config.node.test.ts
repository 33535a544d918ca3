import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const config = (env?: string) => unstable_readConfig({ config: "wrangler.toml", env });
const scripts = (
  JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }
).scripts;

describe("deployment config", () => {
  it("a bare `wrangler deploy` cannot ship the development config as the production Worker", () => {
    const dev = config();
    expect(dev.vars.ENVIRONMENT).toBe("development");
    expect(dev.name).not.toBe(config("production").name);
    expect(dev.name).not.toBe(config("staging").name);
  });

  it("staging and production deploy under their own names with their own ENVIRONMENT", () => {
    expect(config("production").name).toBe("edgepanel");
    expect(config("production").vars.ENVIRONMENT).toBe("production");
    expect(config("staging").name).toBe("edgepanel-staging");
    expect(config("staging").vars.ENVIRONMENT).toBe("staging");
  });

  it("build and deploy name their environment", () => {
    expect(scripts.build).toMatch(/--env production\b/);
    expect(scripts.deploy).toMatch(/wrangler deploy --env production\b/);
  });
}, 30_000);
