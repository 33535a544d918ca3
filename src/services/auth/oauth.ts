import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { createUser, findUserByEmail, findUserById } from "../../db/queries/users.ts";
import { type OAuthProvider, oauthAccounts, type UserRow, users } from "../../db/schema.ts";
import { encrypt, type Keyring } from "../../lib/crypto.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { toPlainText } from "../../lib/text.ts";

export interface ProviderProfile {
  provider: OAuthProvider;
  accountId: string;
  email: string | null;
  emailVerified: boolean;
  name: string;
  accessToken: string | null;
  refreshToken: string | null;
}

export const OAUTH_TOKEN_CONTEXT = "oauth_accounts.token";

/**
 * Signs a provider identity in: an existing link wins; otherwise the account is
 * linked to the user with the same *verified* e-mail, or a new user is created.
 * An unverified e-mail is refused: linking on it would let anyone who can claim
 * an address at the provider take over our account with that address.
 */
export async function signInWithProvider(
  db: Database,
  ring: Keyring,
  profile: ProviderProfile,
): Promise<
  Result<{ user: UserRow; linked: boolean; created: boolean }, "unverified_email" | "disabled">
> {
  const now = nowIso();
  const enc = async (v: string | null) => (v ? encrypt(ring, v, OAUTH_TOKEN_CONTEXT) : null);
  const tokens = {
    accessTokenEnc: await enc(profile.accessToken),
    refreshTokenEnc: await enc(profile.refreshToken),
  };

  const existing = await db
    .select()
    .from(oauthAccounts)
    .where(
      and(
        eq(oauthAccounts.provider, profile.provider),
        eq(oauthAccounts.providerAccountId, profile.accountId),
      ),
    )
    .get();
  if (existing) {
    await db
      .update(oauthAccounts)
      .set({ ...tokens, updatedAt: now })
      .where(eq(oauthAccounts.id, existing.id));
    const user = await findUserById(db, existing.userId);
    if (!user || user.disabledAt) return err("disabled");
    return ok({ user, linked: false, created: false });
  }

  if (!profile.email || !profile.emailVerified) return err("unverified_email");
  let user = await findUserByEmail(db, profile.email);
  let created = false;
  if (!user) {
    const result = await createUser(db, {
      email: profile.email,
      // A provider's display name is not validated by our schemas: same rules, applied here.
      name: toPlainText(profile.name).trim().slice(0, 100) || profile.email,
      passwordHash: null,
      emailVerified: true,
    });
    user = result.ok ? result.value : await findUserByEmail(db, profile.email);
    created = result.ok;
  }
  if (!user) throw new Error("user missing after create");
  if (user.disabledAt) return err("disabled");
  if (!user.emailVerifiedAt)
    await db.update(users).set({ emailVerifiedAt: now }).where(eq(users.id, user.id));
  await db
    .insert(oauthAccounts)
    .values({
      id: uuidv7(),
      userId: user.id,
      provider: profile.provider,
      providerAccountId: profile.accountId,
      email: profile.email.toLowerCase(),
      ...tokens,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing();
  return ok({ user, linked: true, created });
}
