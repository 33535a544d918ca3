/**
 * The stats document's type, free of imports: the server computes it
 * (src/services/stats/stats.ts) and the dashboard's browser code reads it
 * (src/dashboard/client/), which must not pull Worker code into its bundle.
 */
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
