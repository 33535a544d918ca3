import { ApiError } from "../../lib/problem.ts";

export const nameTaken = () =>
  new ApiError("conflict", {
    detail: "You already have a server with this name",
    errors: [{ path: "name", message: "already in use" }],
  });

/** The loser of a concurrent write: its change was not applied, nothing was overwritten. */
export const staleWrite = () =>
  new ApiError("precondition_failed", {
    detail: "The server was changed by another request; read it again and retry",
  });
