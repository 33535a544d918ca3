import { fromBase64, sha256Hex, toBase64, utf8 } from "./encoding.ts";

/**
 * AES-256-GCM for sensitive columns. Ciphertexts are self-describing:
 * `v1.<key id>.<iv b64>.<ciphertext+tag b64>`, where the key id is the first 8 hex
 * chars of SHA-256(key). To rotate, set the new ENCRYPTION_KEY and keep the old one
 * in ENCRYPTION_KEY_PREVIOUS: old rows still decrypt, new writes use the new key.
 */
export interface Keyring {
  current: { id: string; key: CryptoKey };
  all: Map<string, CryptoKey>;
}

// Importing keys is async work; one keyring per distinct secret set per isolate.
const keyrings = new Map<string, Promise<Keyring>>();

/** The keyring for the validated config: ENCRYPTION_KEY plus ENCRYPTION_KEY_PREVIOUS. */
export const keyringFor = (config: {
  ENCRYPTION_KEY: string;
  ENCRYPTION_KEY_PREVIOUS?: string | undefined;
}) => getKeyring(config.ENCRYPTION_KEY, config.ENCRYPTION_KEY_PREVIOUS);

export function getKeyring(current: string, previous?: string): Promise<Keyring> {
  const cacheKey = `${current}|${previous ?? ""}`;
  let ring = keyrings.get(cacheKey);
  if (!ring) {
    ring = buildKeyring(current, previous);
    keyrings.set(cacheKey, ring);
  }
  return ring;
}

async function importKey(b64: string): Promise<{ id: string; key: CryptoKey }> {
  const raw = fromBase64(b64);
  if (raw.length !== 32) throw new Error("encryption key must be 32 bytes");
  const id = (await sha256Hex(raw)).slice(0, 8);
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id, key };
}

async function buildKeyring(current: string, previous?: string): Promise<Keyring> {
  const cur = await importKey(current);
  const all = new Map([[cur.id, cur.key]]);
  for (const old of (previous ?? "").split(",").filter(Boolean)) {
    const k = await importKey(old.trim());
    all.set(k.id, k.key);
  }
  return { current: cur, all };
}

/** Encrypts `plaintext`; `context` (e.g. "api_keys.signing_secret") is bound as AAD. */
export async function encrypt(ring: Keyring, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8.encode(context) },
    ring.current.key,
    utf8.encode(plaintext),
  );
  return `v1.${ring.current.id}.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}`;
}

/** Decrypts a value from {@link encrypt}; throws if the key is unknown or the data was tampered with. */
export async function decrypt(ring: Keyring, value: string, context: string): Promise<string> {
  const [version, kid, iv, ct] = value.split(".");
  if (version !== "v1" || !kid || !iv || !ct) throw new Error("unrecognised ciphertext format");
  const key = ring.all.get(kid);
  if (!key) throw new Error(`no key with id ${kid}`);
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: utf8.encode(context) },
    key,
    fromBase64(ct),
  );
  return new TextDecoder().decode(pt);
}
