import { createHash } from 'node:crypto';
import { ConnectorContext, ConnectorError, InvalidCredentialsError, isHttpClientError, RetryableError } from '@audiencekit/connector-sdk';
import type { GoogleSecrets, GoogleSettings } from './google-settings';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

type GoogleContext = Omit<ConnectorContext<GoogleSettings, GoogleSecrets>, 'audience'>;

// Access tokens minted from a refresh token, kept until a minute before they expire. Keyed by a hash,
// so no secret is a map key; a process-wide cache, since the definition object is shared.
const minted = new Map<string, { token: string; expiresAt: number }>();

/** The bearer token of a call: the secret's own access token, or one exchanged for the refresh token. */
export async function googleAccessToken(ctx: GoogleContext, now = Date.now()): Promise<string> {
  const secrets = ctx.secrets;
  if ('accessToken' in secrets) return secrets.accessToken;
  // Operator config only (never a setting): the secrets below are posted to this URL.
  const tokenUrl = ctx.baseUrl ? `${ctx.baseUrl.replace(/\/+$/, '')}/token` : GOOGLE_TOKEN_URL;
  const key = createHash('sha256').update(`${tokenUrl}\n${secrets.clientId}\n${secrets.refreshToken}`).digest('hex');
  const cached = minted.get(key);
  if (cached && cached.expiresAt > now) return cached.token;
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: secrets.refreshToken,
    client_id: secrets.clientId,
    client_secret: secrets.clientSecret,
  });
  try {
    const { data } = await ctx.http.client.post<{ access_token: string; expires_in?: number }>(tokenUrl, form, { signal: ctx.signal });
    minted.set(key, { token: data.access_token, expiresAt: now + Math.max(0, (data.expires_in ?? 3600) - 60) * 1000 });
    return data.access_token;
  } catch (error) {
    if (error instanceof ConnectorError) throw error; // the SDK's guard refused the target
    const status = isHttpClientError(error) ? error.response?.status : undefined;
    const reason = isHttpClientError(error) ? (error.response?.data as { error?: string } | undefined)?.error : undefined;
    // 400 invalid_grant / 401 invalid_client: the refresh token or client was revoked or mistyped.
    if (status === 400 || status === 401)
      throw new InvalidCredentialsError(`Google OAuth: ${reason ?? `HTTP ${status}`}`, reason ?? `HTTP ${status}`);
    throw new RetryableError(
      `Google OAuth: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      status ? `HTTP ${status}` : undefined,
    );
  }
}

/** Forgets minted tokens (tests; a rotated refresh token). */
export const clearGoogleTokenCache = (): void => minted.clear();
