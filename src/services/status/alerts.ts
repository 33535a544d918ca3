import type { Database } from "../../db/client.ts";
import type { IncidentDto } from "../../routes/status/schemas.ts";

/**
 * Open anomaly alerts, shown on the status page as incidents. Until the alerts
 * table exists there are none.
 */
export async function openAlertIncidents(_db: Database): Promise<IncidentDto[]> {
  return [];
}
