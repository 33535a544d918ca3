import { describe, expect, it } from "vitest";
import {
  type Bindings,
  ConfigError,
  DEVELOPMENT_DEFAULTS,
  type Feature,
  loadConfig,
  parseConfig,
} from "../src/env.ts";

/** Production config with strong secrets; each test weakens one. */
const strong = {
  ENVIRONMENT: "production",
  JWT_SECRET: "q8Zr2vLk9XcT4mWn7PbY1sHd6FgJ3aUe0RiOtKy5ZxCv",
  ENCRYPTION_KEY: "k3J9vQ0s8Xc1mT5wR2yB7nE4uH6aL0pZ9dF3gK8jQ1o=",
  METRICS_TOKEN: "mT4x9Kq2Lw7Zr1Vb",
  TURNSTILE_SECRET: "0x4AAAAAAAreal-secret",
};

/** The issues loadConfig reports for `overrides` (a fresh object each time: no memo). */
function issues(overrides: Record<string, string | undefined>) {
  try {
    loadConfig({ ...strong, ...overrides } as unknown as Bindings);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues;
  }
}

const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

describe("weak secrets are refused outside development", () => {
  it("accepts strong secrets (openssl rand -base64 32 / -hex 32)", () => {
    expect(issues({})).toEqual([]);
    expect(
      issues({ JWT_SECRET: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }),
    ).toEqual([]);
  });

  it.each([
    ["the development value", DEVELOPMENT_DEFAULTS.JWT_SECRET],
    ["the development value plus a space", `${DEVELOPMENT_DEFAULTS.JWT_SECRET} `],
    ["the development value in other case", DEVELOPMENT_DEFAULTS.JWT_SECRET.toUpperCase()],
    ["the development value with a suffix", `${DEVELOPMENT_DEFAULTS.JWT_SECRET}x`],
    ["32 × a", "a".repeat(32)],
    ["a short pattern repeated", "ab1".repeat(12)],
    ["a 16-character pattern twice", "0123456789abcdef".repeat(2)],
    ["31 characters", "q8Zr2vLk9XcT4mWn7PbY1sHd6FgJ3aU"],
    ["32 characters padded with spaces", `   ${"q8Zr2vLk9XcT4mWn7PbY1sHd6Fg"}     `],
  ])("JWT_SECRET: %s", (_, value) => {
    expect(issues({ JWT_SECRET: value }).map((i) => i.path)).toEqual(["JWT_SECRET"]);
  });

  it.each([
    ["the development key", DEVELOPMENT_DEFAULTS.ENCRYPTION_KEY],
    ["the development key unpadded", DEVELOPMENT_DEFAULTS.ENCRYPTION_KEY.replace(/=+$/, "")],
    ["the development key with spaces", ` ${DEVELOPMENT_DEFAULTS.ENCRYPTION_KEY} `],
    ["an all-zero key", b64(Array(32).fill(0))],
    ["all bytes equal", b64(Array(32).fill(0x5a))],
    ["two bytes alternating", b64(Array.from({ length: 32 }, (_, i) => (i % 2 ? 7 : 9)))],
    ["31 bytes", b64(Array.from({ length: 31 }, (_, i) => i * 7))],
  ])("ENCRYPTION_KEY: %s", (_, value) => {
    expect(issues({ ENCRYPTION_KEY: value }).map((i) => i.path)).toEqual(["ENCRYPTION_KEY"]);
  });

  it.each([
    ["the development value plus a space", `${DEVELOPMENT_DEFAULTS.METRICS_TOKEN} `],
    ["16 × x", "x".repeat(16)],
  ])("METRICS_TOKEN, once a feature reads it: %s", (_, value) => {
    const metrics = { metrics: { enabled: () => true, secrets: ["METRICS_TOKEN"] as const } };
    const result = parseConfig({ ...strong, METRICS_TOKEN: value }, metrics);
    expect(result).toBeInstanceOf(ConfigError);
    expect((result as ConfigError).issues.map((i) => i.path)).toEqual(["METRICS_TOKEN"]);
  });

  it("never echoes a secret in the issue", () => {
    const found = issues({ JWT_SECRET: `${DEVELOPMENT_DEFAULTS.JWT_SECRET} ` });
    expect(JSON.stringify(found)).not.toContain("dev-only");
  });

  it("development keeps its local defaults", () => {
    expect(() => loadConfig({ ENVIRONMENT: "development" } as unknown as Bindings)).not.toThrow();
  });
});

describe("secrets are required by the features that read them", () => {
  it("/metrics needs METRICS_TOKEN in staging and production, and judges it", () => {
    for (const ENVIRONMENT of ["staging", "production"]) {
      expect(issues({ ENVIRONMENT, METRICS_TOKEN: undefined })).toEqual([
        { path: "METRICS_TOKEN", message: "METRICS_TOKEN is not set" },
      ]);
    }
    expect(issues({ METRICS_TOKEN: DEVELOPMENT_DEFAULTS.METRICS_TOKEN })).toEqual([
      {
        path: "METRICS_TOKEN",
        message: "METRICS_TOKEN uses the development default outside development",
      },
    ]);
  });

  it("submissions need TURNSTILE_SECRET; production refuses Cloudflare's always-pass test secret, staging takes it", () => {
    expect(issues({ TURNSTILE_SECRET: undefined })).toEqual([
      { path: "TURNSTILE_SECRET", message: "TURNSTILE_SECRET is not set" },
    ]);
    expect(issues({ TURNSTILE_SECRET: DEVELOPMENT_DEFAULTS.TURNSTILE_SECRET })).toEqual([
      {
        path: "TURNSTILE_SECRET",
        message: "TURNSTILE_SECRET uses the development default outside development",
      },
    ]);
    expect(
      issues({ ENVIRONMENT: "staging", TURNSTILE_SECRET: DEVELOPMENT_DEFAULTS.TURNSTILE_SECRET }),
    ).toEqual([]);
  });

  it("once a feature that reads a secret is enabled, the secret is required and judged", () => {
    const metrics: Record<string, Feature> = {
      metrics: { enabled: () => true, secrets: ["METRICS_TOKEN"] },
    };
    const check = (overrides: Record<string, string | undefined>) => {
      const result = parseConfig({ ...strong, ...overrides }, metrics);
      return result instanceof ConfigError ? result.issues : [];
    };
    expect(check({})).toEqual([]);
    expect(check({ METRICS_TOKEN: undefined })).toEqual([
      { path: "METRICS_TOKEN", message: "METRICS_TOKEN is not set" },
    ]);
    expect(check({ METRICS_TOKEN: "x".repeat(16) })).toEqual([
      { path: "METRICS_TOKEN", message: "METRICS_TOKEN has too few distinct characters" },
    ]);
    // A feature that is not enabled requires nothing.
    const off = { metrics: { enabled: () => false, secrets: ["METRICS_TOKEN"] as const } };
    expect(parseConfig({ ...strong, METRICS_TOKEN: undefined }, off)).not.toBeInstanceOf(
      ConfigError,
    );
  });
});

describe("configuration errors name the variable and say what is wrong, in the same words", () => {
  it("a missing secret reads the same for every secret", () => {
    expect(issues({ JWT_SECRET: undefined, ENCRYPTION_KEY: undefined })).toEqual([
      { path: "JWT_SECRET", message: "JWT_SECRET is not set" },
      { path: "ENCRYPTION_KEY", message: "ENCRYPTION_KEY is not set" },
    ]);
    // An empty value is not a secret either.
    expect(issues({ JWT_SECRET: "  " })).toEqual([
      { path: "JWT_SECRET", message: "JWT_SECRET is not set" },
    ]);
  });

  it.each([
    ["ENVIRONMENT", "prod", "ENVIRONMENT must be one of development, staging, production"],
    ["REQUEST_TIMEOUT_MS", "soon", "REQUEST_TIMEOUT_MS must be a number"],
    ["REQUEST_TIMEOUT_MS", "10.5", "REQUEST_TIMEOUT_MS must be an integer"],
    ["REQUEST_TIMEOUT_MS", "10", "REQUEST_TIMEOUT_MS must be at least 50"],
    ["REQUEST_TIMEOUT_MS", "600000", "REQUEST_TIMEOUT_MS must be at most 60000"],
    ["LOG_LEVEL", "loud", "LOG_LEVEL must be one of debug, info, warn, error"],
    ["EMAIL_PROVIDER_URL", "mail server", "EMAIL_PROVIDER_URL must be a URL"],
    ["JWT_SECRET", "short", "JWT_SECRET must be at least 32 characters"],
    ["ENCRYPTION_KEY", "c2hvcnQ=", "ENCRYPTION_KEY must be base64 of exactly 32 bytes"],
    [
      "JWT_SECRET",
      DEVELOPMENT_DEFAULTS.JWT_SECRET,
      "JWT_SECRET uses the development default outside development",
    ],
  ])("%s=%j: %s", (name, value, message) => {
    expect(issues({ [name]: value })).toEqual([{ path: name, message }]);
  });

  it("the error's own message lists the same sentences", () => {
    const error = parseConfig({ ...strong, JWT_SECRET: undefined, LOG_LEVEL: "loud" });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "Invalid configuration: JWT_SECRET is not set; LOG_LEVEL must be one of debug, info, warn, error",
    );
  });
});
