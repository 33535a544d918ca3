/**
 * The shapes the dashboard reads. Declared here rather than imported from the
 * server's zod schemas: this bundle runs in the browser and must not pull zod or
 * the Workers types in. The workers tests parse the same payloads with the server's
 * own schemas, so a drift shows up there.
 */
export type ServerStatus = "up" | "degraded" | "down" | "unknown";
export const SERVER_STATUSES: readonly ServerStatus[] = ["up", "degraded", "down", "unknown"];

export interface User {
  id: string;
  email: string;
  name: string;
  role: "admin" | "operator" | "viewer";
}

export interface TokenResponse {
  user: User;
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export interface Server {
  id: string;
  name: string;
  host: string;
  port: number;
  environment: string;
  tags: string[];
  status: ServerStatus;
  last_checked_at: string | null;
  created_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface AdminStats {
  generated_at: string;
  users: { total: number; by_role: Record<string, number> };
  servers: {
    total: number;
    by_status: Record<string, number>;
    by_environment: Record<string, number>;
  };
  submissions_per_day: { date: string; count: number }[];
  requests_per_minute: {
    minute: string;
    requests: number;
    errors_4xx: number;
    errors_5xx: number;
  }[];
  cache: { hits: number; misses: number; hit_ratio: number | null };
  rate_limited: { total: number; last_hour: number };
  jobs: {
    queued: number;
    failed: number;
    recent_failures: { id: string; type: string; error: string; failed_at: string }[];
  };
  webhooks: {
    deliveries: number;
    succeeded: number;
    success_rate: number | null;
    failing_endpoints: {
      id: string;
      url: string;
      consecutive_failures: number;
      disabled: boolean;
    }[];
  };
}

export interface Alert {
  id: string;
  metric: string;
  status: "open" | "cleared";
  value: number;
  mean: number;
  z_score: number;
  threshold: number;
  raised_at: string;
  cleared_at: string | null;
  message: string;
}

export interface LiveMessage {
  type: string;
  at: string;
  data: Record<string, unknown>;
}
