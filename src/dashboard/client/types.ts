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

export type { AdminStats } from "../../services/stats/types.ts";

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
