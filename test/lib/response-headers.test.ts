import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { appendHeader, setHeader } from "../../src/lib/response-headers.ts";

/** A Hono app whose middleware adds headers after the route, as ours do. */
function appReturning(make: () => Response) {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    setHeader(c, "X-Request-Id", "req-1");
    appendHeader(c, "Vary", "Origin");
    setHeader(c, "X-Frame-Options", "DENY");
  });
  app.get("/", () => make());
  return app;
}

describe("response header writes after next()", () => {
  it("write in place on a response the route built", async () => {
    const original = new Response("body", { headers: { Vary: "Accept" } });
    const res = await appReturning(() => original).request("/");
    expect(res).toBe(original); // no copy was needed
    expect(res.headers.get("x-request-id")).toBe("req-1");
    expect(res.headers.get("vary")).toBe("Accept, Origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(await res.text()).toBe("body");
  });

  it("copy once, keeping status, headers and body, when the headers are immutable", async () => {
    // Response.redirect() has immutable headers, like a fetch() or Cache API response.
    const redirect = Response.redirect("https://example.com/next", 301);
    expect(() => redirect.headers.set("x-probe", "1")).toThrow(TypeError);
    const res = await appReturning(() => redirect).request("/");
    expect(res).not.toBe(redirect);
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("https://example.com/next");
    expect(res.headers.get("x-request-id")).toBe("req-1");
    expect(res.headers.get("vary")).toBe("Origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("do not swallow real errors (an invalid header value)", async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      await next();
      setHeader(c, "X-Bad", "line\nbreak");
    });
    app.get("/", (c) => c.text("ok"));
    app.onError((error, c) => c.text(`error: ${error.name}`, 500));
    const res = await app.request("/");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("error: TypeError");
  });
});
