import { describe, expect, it } from "vitest";
import { isPlainText, toPlainText } from "../../src/lib/text.ts";
import {
  api,
  expectProblem,
  expectStatus,
  PASSWORD,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../helpers.ts";
import { serverBody } from "../routes/servers/fixtures.ts";

const BAD = {
  nul: "web\u0000one",
  newline: "web\none",
  del: "web\u007fone",
  c1: "web\u0085one",
  "right-to-left override": "invoice\u202Efdp.exe",
  "left-to-right embedding": "a\u202Ab",
  "first strong isolate": "a\u2068b",
  "pop directional isolate": "a\u2069b",
  "line separator": "a\u2028b",
  "lone high surrogate": "a\uD800b",
  "lone low surrogate": "a\uDC00b",
  "high surrogate at the end": "ab\uD83D",
};

describe("isPlainText", () => {
  it.each(Object.entries(BAD))("refuses %s", (_, value) => {
    expect(isPlainText(value)).toBe(false);
  });

  it.each([
    "Ada Lovelace",
    "Zoë Ñúñez",
    "東京 サーバー",
    "עברית ومرحبا", // right-to-left scripts are fine; only the override characters are not
    "rocket 🚀 (a surrogate pair)",
    "web-1.eu",
  ])("accepts %j", (value) => {
    expect(isPlainText(value)).toBe(true);
  });
});

describe("toPlainText", () => {
  it("drops exactly the refused characters, keeping surrogate pairs", () => {
    expect(toPlainText("a\u0000b\u202Ec\uD800d🚀")).toBe("abcd🚀");
  });
});

describe("every name field uses it", () => {
  const unsafe = "evil\u202Egnp.exe";

  it("user names: registration and update", async () => {
    const reg = await expectProblem(
      await api("/api/v2/auth/register", {
        method: "POST",
        headers: { "cf-connecting-ip": uniqueIp() },
        body: { email: uniqueEmail(), password: PASSWORD, name: unsafe },
      }),
      422,
      "validation",
    );
    expect(reg.errors?.map((e) => e.path)).toEqual(["name"]);
    const admin = await seedUser({ role: "admin" });
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { name: "nul\u0000byte" },
      }),
      422,
      "validation",
    );
  });

  it("API key names", async () => {
    const op = await seedUser({ role: "operator" });
    const res = await api("/api/v2/api-keys", {
      method: "POST",
      token: op.access_token,
      body: { name: "ci\uD800", scopes: ["servers:read"] },
    });
    const body = await expectProblem(res, 422, "validation");
    expect(body.errors?.map((e) => e.path)).toEqual(["name"]);
  });

  it("server names, while ordinary Unicode names still work", async () => {
    const op = await seedUser({ role: "operator" });
    const bad = await api("/api/v2/servers", {
      method: "POST",
      token: op.access_token,
      body: serverBody({ name: unsafe }),
    });
    const body = await expectProblem(bad, 422, "validation");
    expect(body.errors?.map((e) => e.path)).toEqual(["name"]);
    await expectStatus(
      await api("/api/v2/servers", {
        method: "POST",
        token: op.access_token,
        body: serverBody({ name: "сервер-東京-1" }),
      }),
      201,
    );
  });
});
