import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/observability/logger.ts";
import { redact } from "../../src/observability/redact.ts";

describe("log redaction", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop";
  const key = "ep_live_abcdefghijklmnopqrstuvwxyz0123456789";

  it("blanks secret-named fields whatever their value", () => {
    const out = redact({
      password: "hunter2hunter2",
      JWT_SECRET: "s",
      authorization: "Bearer x",
      api_key: "k",
      refresh_token: "r",
      nested: { client_secret: "c" },
    }) as Record<string, unknown>;
    expect(out).toEqual({
      password: "[REDACTED]",
      JWT_SECRET: "[REDACTED]",
      authorization: "[REDACTED]",
      api_key: "[REDACTED]",
      refresh_token: "[REDACTED]",
      nested: { client_secret: "[REDACTED]" },
    });
  });

  it("scrubs e-mails, JWTs, API keys and bearer credentials out of free text", () => {
    const out = redact({
      msg: `user ada@example.com sent ${jwt} and ${key}; header Bearer abc.def`,
    }) as { msg: string };
    expect(out.msg).not.toContain("ada@example.com");
    expect(out.msg).not.toContain(jwt);
    expect(out.msg).not.toContain(key);
    expect(out.msg).not.toContain("abc.def");
    expect(out.msg).toContain("[EMAIL]");
  });

  it("is applied to every logger line, one JSON object per line", () => {
    const lines: string[] = [];
    const log = createLogger({ request_id: "r1" }, "info", (l) => lines.push(l)).child({
      user_email: "bob@example.org",
    });
    log.debug("dropped below level");
    log.info("login", { password: "x", token: jwt, note: "mail bob@example.org" });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      level: "info",
      msg: "login",
      request_id: "r1",
      password: "[REDACTED]",
      token: "[REDACTED]",
    });
    expect(lines[0]).not.toContain("bob@example.org");
  });
});
