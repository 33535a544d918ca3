import { api, expectStatus } from "../../helpers.ts";

let n = 0;
export const serverBody = (over: Record<string, unknown> = {}) => ({
  name: `srv-${Date.now().toString(36)}-${++n}`,
  host: `web-${n}.example.com`,
  port: 443,
  environment: "production",
  tags: ["eu-west"],
  ...over,
});

export type ServerOut = {
  id: string;
  name: string;
  host: string;
  port: number;
  environment: string;
  tags: string[];
  status: string;
  owner_id: string;
  created_at: string;
  has_credentials: boolean;
};

export async function createServer(token: string, over: Record<string, unknown> = {}) {
  return expectStatus<ServerOut>(
    await api("/api/v2/servers", { method: "POST", token, body: serverBody(over) }),
    201,
  );
}
