/**
 * Label Studio credentials, detected from the token itself: a personal access token
 * is a JWT refresh token, exchanged at POST /api/token/refresh/ for a short-lived
 * access token (`Authorization: Bearer`), renewed before it expires or when refused;
 * anything else is a legacy token (`Authorization: Token`).
 */
export type TokenKind = 'legacy' | 'personal';

export function tokenKind(token: string): TokenKind {
  const payload = jwtPayload(token);
  return payload && payload.token_type === 'refresh' ? 'personal' : 'legacy';
}

function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class LabelStudioAuth {
  readonly kind: TokenKind;
  private access?: { token: string; expiresAt: number };
  private refreshing?: Promise<string>;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly now: () => number = Date.now,
  ) {
    this.kind = tokenKind(token);
  }

  /** The Authorization header value for a request to the Label Studio host. */
  async header(signal?: AbortSignal): Promise<string> {
    if (this.kind === 'legacy') return `Token ${this.token}`;
    // Renew 30 s early so a request never leaves with an access token about to expire.
    if (this.access && this.access.expiresAt - 30_000 > this.now()) return `Bearer ${this.access.token}`;
    this.refreshing ??= this.refresh(signal).finally(() => (this.refreshing = undefined));
    return `Bearer ${await this.refreshing}`;
  }

  /** After a 401: forget the access token so the next header() refreshes it. */
  invalidate(): void {
    this.access = undefined;
  }

  private async refresh(signal?: AbortSignal): Promise<string> {
    const res = await fetch(new URL('api/token/refresh/', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ refresh: this.token }),
      signal,
    });
    const body = (await res.json().catch(() => ({}))) as { access?: string; detail?: string };
    if (!res.ok || !body.access) {
      const passing = res.status >= 500 || res.status === 429;
      const what = passing ? 'could not refresh the personal access token' : 'refused the personal access token';
      throw new LabelStudioAuthError(`Label Studio ${what}: HTTP ${res.status}${body.detail ? ` ${body.detail}` : ''}`, passing);
    }
    const exp = Number(jwtPayload(body.access)?.exp);
    this.access = { token: body.access, expiresAt: Number.isFinite(exp) ? exp * 1000 : this.now() + 4 * 60_000 };
    return body.access;
  }
}

export class LabelStudioAuthError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'LabelStudioAuthError';
  }
}
