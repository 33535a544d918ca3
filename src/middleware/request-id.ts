import { requestId as honoRequestId } from "hono/request-id";
import { uuidv7 } from "../lib/ids.ts";

/**
 * Echoes a sane inbound `X-Request-Id` (≤ 128 chars of `[A-Za-z0-9_=-]`) or mints
 * a UUIDv7, and sets it on the response. Hono's middleware does the work; we only
 * tighten the length and make generated ids sortable by time.
 */
export const requestId = () => honoRequestId({ limitLength: 128, generator: () => uuidv7() });
