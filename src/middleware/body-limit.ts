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
  /**
   * Exact paths whose multipart bodies the route reads as a stream and counts
   * itself (files go on to R2 as they arrive): here only a declared Content-Length
   * is checked against the limit, and nothing is buffered. Their other bodies get
   * the default limit.
   */
  streamed?: [path: string, maxSize: number][];
}

/**
 * 413 for bodies over the limit (1 MiB; 10 MiB on upload routes). Hono's
 * middleware checks Content-Length up front and counts streamed bytes otherwise,
 * so a lying or absent Content-Length cannot get a bigger body through.
 */
export const bodyLimit = ({
  maxSize = MiB,
  uploads = [],
  streamed = [],
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
  const tooLarge = (size: number) =>
    new ApiError("payload_too_large", {
      detail: `Request body exceeds the ${size / MiB} MiB limit`,
    });
  return async function bodyLimit(c, next) {
    const stream = streamed.find(([path]) => c.req.path === path);
    if (stream && /^multipart\/form-data/i.test(c.req.header("content-type") ?? "")) {
      const length = Number(c.req.header("content-length") ?? "0");
      if (length > stream[1]) throw tooLarge(stream[1]);
      return next();
    }
    const match = larger.find(([prefix]) => c.req.path.startsWith(prefix));
    return (match ? match[1] : standard)(c, next);
  };
};
