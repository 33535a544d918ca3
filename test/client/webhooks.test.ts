import { verifyWebhook, WebhookVerificationError } from "@edgepanel/client";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";

// A Standard Webhooks secret: whsec_ + base64 of random bytes.
const secret = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const event = { type: "server.created", data: { id: "0190c1d2-0000-7000-8000-000000000001" } };

/** A delivery signed by the standardwebhooks reference implementation itself. */
function delivery(body = JSON.stringify(event), at = new Date(), signWith = secret) {
  const id = `msg_${crypto.randomUUID()}`;
  return {
    body,
    headers: {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(signWith).sign(id, at, body),
    },
  };
}

describe("verifyWebhook (@edgepanel/client)", () => {
  it("accepts a delivery signed with the reference implementation and returns its payload", () => {
    const { body, headers } = delivery();
    expect(verifyWebhook(secret, headers, body)).toEqual(event);
  });

  it("takes fetch Headers, Node-style header objects and raw bytes", () => {
    const { body, headers } = delivery();
    expect(verifyWebhook(secret, new Headers(headers), body)).toEqual(event);
    const nodeStyle = {
      "Webhook-Id": headers["webhook-id"],
      "Webhook-Timestamp": headers["webhook-timestamp"],
      "Webhook-Signature": [headers["webhook-signature"]],
      host: undefined,
    };
    expect(verifyWebhook(secret, nodeStyle, new TextEncoder().encode(body))).toEqual(event);
  });

  it("accepts any one of several signatures (secret rotation)", () => {
    const { body, headers } = delivery();
    const other = delivery(body, new Date(Number(headers["webhook-timestamp"]) * 1000));
    const oldSecret = `whsec_${btoa("an older secret, still valid")}`;
    const byOld = new Webhook(oldSecret).sign(
      headers["webhook-id"],
      new Date(Number(headers["webhook-timestamp"]) * 1000),
      body,
    );
    const both = { ...headers, "webhook-signature": `${byOld} ${headers["webhook-signature"]}` };
    expect(verifyWebhook(secret, both, body)).toEqual(event);
    expect(verifyWebhook(oldSecret, both, body)).toEqual(event);
    expect(other.headers["webhook-id"]).not.toBe(headers["webhook-id"]);
  });

  it("refuses a modified body, another secret, a changed id and missing headers", () => {
    const { body, headers } = delivery();
    const refused = (fn: () => unknown) => expect(fn).toThrow(WebhookVerificationError);
    refused(() => verifyWebhook(secret, headers, body.replace("created", "deleted")));
    refused(() => verifyWebhook(`whsec_${btoa("not the secret")}`, headers, body));
    refused(() => verifyWebhook(secret, { ...headers, "webhook-id": "msg_other" }, body));
    refused(() =>
      verifyWebhook(secret, { ...headers, "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl" }, body),
    );
    refused(() => verifyWebhook(secret, { "webhook-id": headers["webhook-id"] }, body));
  });

  it("refuses deliveries older or newer than 5 minutes", () => {
    const stale = delivery(undefined, new Date(Date.now() - 6 * 60_000));
    expect(() => verifyWebhook(secret, stale.headers, stale.body)).toThrow(/too old/);
    const future = delivery(undefined, new Date(Date.now() + 6 * 60_000));
    expect(() => verifyWebhook(secret, future.headers, future.body)).toThrow(/too new/);
  });

  it("tells a malformed secret apart from a bad delivery", () => {
    const { body, headers } = delivery();
    expect(() => verifyWebhook("whsec_%%%", headers, body)).toThrow(TypeError);
  });
});
