/** The benchmark fixture: an admin, four high-limit API keys and 100 servers. */
import { api } from "./harness.ts";

export const LIST = "/api/v2/servers?limit=20";
const KEYS = 4;
const SERVERS = 100;
export const ADMIN = {
  email: "bench@example.com",
  password: "benchmark password 123",
  name: "Bench",
};

export interface Fixture {
  token: string;
  /** API keys of the admin, each limited to 100,000/min (the maximum): loads rotate them. */
  keys: string[];
  serverIds: string[];
}

export async function fixture(url: string): Promise<Fixture> {
  const session = await api<{ access_token: string }>(url, "POST", "/api/v2/auth/register", ADMIN);
  const bearer = { authorization: `Bearer ${session.access_token}` };
  const keys: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const body = {
      name: `bench-${i}`,
      scopes: ["servers:read", "servers:write"],
      rate_limit_per_minute: 100_000,
    };
    keys.push((await api<{ key: string }>(url, "POST", "/api/v2/api-keys", body, bearer)).key);
  }
  const serverIds: string[] = [];
  for (let i = 0; i < SERVERS; i++) {
    const server = await api<{ id: string }>(
      url,
      "POST",
      "/api/v2/servers",
      serverBody(`seed-${i}`),
      { "x-api-key": keys[i % KEYS]! },
    );
    serverIds.push(server.id);
  }
  return { token: session.access_token, keys, serverIds };
}

export const serverBody = (name: string) => ({
  name,
  host: `${name}.example.com`,
  port: 443,
  environment: "production",
  tags: ["bench"],
});
