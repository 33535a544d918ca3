import { ServerSchema } from "../../../src/routes/servers/schemas.ts";
import { api, expectBody } from "../../helpers.ts";

let n = 0;
export const serverBody = (over: Record<string, unknown> = {}) => ({
  name: `srv-${Date.now().toString(36)}-${++n}`,
  host: `web-${n}.example.com`,
  port: 443,
  environment: "production",
  tags: ["eu-west"],
  ...over,
});

export async function createServer(token: string, over: Record<string, unknown> = {}) {
  return expectBody(
    await api("/api/v2/servers", { method: "POST", token, body: serverBody(over) }),
    201,
    ServerSchema,
  );
}
