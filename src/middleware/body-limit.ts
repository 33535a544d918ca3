import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/problem.ts";

export const MiB = 1024 * 1024;

export interface BodyLimitOptions {
  /** Default limit for every request body. */
  maxSize?: number;
  /** Larger limits for upload routes: [path prefix, bytes]. */
  uploads?: [prefix: string, maxSize: number][];
}

/**
 * 413 for bodies over the limit (1 MiB; 10 MiB on upload routes). Hono's
 * middleware checks Content-Length up front and counts streamed bytes otherwise,
 * so a lying or absent Content-Length cannot get a bigger body through.
 */
export const bodyLimit = ({
  maxSize = MiB,
  uploads = [],
}: BodyLimitOptions = {}): MiddlewareHandler<AppEnv> => {
  const make = (size: number) =>
    honoBodyLimit({
      maxSize: size,
      onError: () => {
        throw new ApiError("payload_too_large", {
          detail: `Request body exceeds the ${size / MiB} MiB limit`,
        });
      },
    });
  const standard = make(maxSize);
  const larger = uploads.map(([prefix, size]) => [prefix, make(size)] as const);
  return async function bodyLimit(c, next) {
    const match = larger.find(([prefix]) => c.req.path.startsWith(prefix));
    return (match ? match[1] : standard)(c, next);
  };
};
