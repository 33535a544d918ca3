import { describe, expect, it } from "vitest";
import { api, createKey, expectStatus, register } from "../../helpers.ts";

describe("smoke", () => {
  it("registers, logs in, creates a key and uses it", async () => {
    const s = await register();
    expect(s.user.role).toBe("admin");
    const me = await expectStatus<{ user: { id: string } }>(
      await api("/api/v2/auth/me", { token: s.access_token }),
      200,
    );
    expect(me.user.id).toBe(s.user.id);
    const key = await createKey(s.access_token);
    const me2 = await expectStatus<{ auth: { kind: string } }>(
      await api("/api/v2/auth/me", { apiKey: key.key }),
      200,
    );
    expect(me2.auth.kind).toBe("api_key");
  });
});
