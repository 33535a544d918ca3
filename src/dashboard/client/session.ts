import type { TokenResponse, User } from "./types.ts";

/** A refused call, with the API's problem detail when it sent one. */
export class ApiFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function problemDetail(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { detail?: string; title?: string };
    return body.detail ?? body.title ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/**
 * The signed-in admin's tokens. Kept in memory only — never in storage, cookies or
 * a URL — so a reload signs out, and script injected into another page of this
 * origin cannot read them. The access token is renewed with the refresh token a
 * minute before it expires, and once more on a 401.
 */
export class Session {
  #tokens: { access: string; refresh: string; expiresAt: number } | null = null;
  #user: User | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<boolean> | null = null;

  readonly onSignedOut: (reason: string) => void;

  constructor(onSignedOut: (reason: string) => void) {
    this.onSignedOut = onSignedOut;
  }

  get user(): User | null {
    return this.#user;
  }

  get accessToken(): string | null {
    return this.#tokens?.access ?? null;
  }

  async login(email: string, password: string): Promise<User> {
    const res = await fetch("/api/v2/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new ApiFailure(res.status, await problemDetail(res));
    this.#store((await res.json()) as TokenResponse);
    return this.#user!;
  }

  /** Exchanges the refresh token for a new pair; false (and signed out) when refused. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<boolean> {
    const refresh = this.#tokens?.refresh;
    if (!refresh) return false;
    try {
      const res = await fetch("/api/v2/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      });
      if (res.ok) {
        this.#store((await res.json()) as TokenResponse);
        return true;
      }
      if (res.status >= 500) return false; // keep the session; the next call retries
      this.#clear();
      this.onSignedOut("Your session has ended: sign in again.");
      return false;
    } catch {
      return false;
    }
  }

  async logout(): Promise<void> {
    const refresh = this.#tokens?.refresh;
    this.#clear();
    if (refresh)
      await fetch("/api/v2/auth/logout", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      }).catch(() => {});
  }

  /** GET (or other) JSON from the API with the access token; one refresh-and-retry on 401. */
  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    let res = await this.#send(path, init);
    if (res.status === 401 && (await this.refresh())) res = await this.#send(path, init);
    if (!res.ok) throw new ApiFailure(res.status, await problemDetail(res));
    return (await res.json()) as T;
  }

  #send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#tokens) headers.set("authorization", `Bearer ${this.#tokens.access}`);
    return fetch(path, { ...init, headers });
  }

  #store(t: TokenResponse) {
    this.#tokens = {
      access: t.access_token,
      refresh: t.refresh_token,
      expiresAt: Date.now() + t.expires_in * 1000,
    };
    this.#user = t.user;
    clearTimeout(this.#timer);
    // A minute early (or halfway for short tokens), so requests never carry a stale one.
    const lead = Math.min(60_000, (t.expires_in * 1000) / 2);
    this.#timer = setTimeout(() => void this.refresh(), t.expires_in * 1000 - lead);
  }

  #clear() {
    clearTimeout(this.#timer);
    this.#tokens = null;
    this.#user = null;
  }
}
