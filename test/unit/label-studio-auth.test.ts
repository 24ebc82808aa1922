/**
 * Label Studio credentials: the kind of token is read from the token itself; a personal
 * access token (JWT refresh token) is exchanged for short-lived Bearer tokens, reused
 * while fresh and renewed 30 s before they expire, after invalidate(), or again after a
 * refused refresh. Checked against the stand-in and, when available, a real Label Studio.
 */
import { LabelStudioAuth, LabelStudioAuthError, tokenKind } from '../../src/lib/label-studio/label-studio-auth';
import { LsStandIn, startLabelStudioStandIn } from '../support/label-studio-stand-in';

const LEGACY = 'c0ffee0123456789abcdef0123456789abcdef01';

function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.${Buffer.from('signature').toString('base64url')}`;
}

const PAT = jwt({ token_type: 'refresh', exp: 8102432052, iat: 1795232052, jti: 'e6e1de599dc447eba01fb6eff964222f', user_id: '1' });
const REVOKED = jwt({ token_type: 'refresh', exp: 8102432052, iat: 1795232052, jti: '00000000000000000000000000000000', user_id: '1' });

describe('tokenKind', () => {
  test('a JWT refresh token is personal; a legacy key, an access JWT or junk with dots is legacy', () => {
    expect(tokenKind(PAT)).toBe('personal');
    expect(tokenKind(LEGACY)).toBe('legacy');
    expect(tokenKind(jwt({ token_type: 'access', exp: 8102432052 }))).toBe('legacy');
    expect(tokenKind('a.b.c')).toBe('legacy');
    expect(tokenKind(`${PAT}.extra`)).toBe('legacy');
  });
});

function standIn(accessTtlSeconds: number): Promise<LsStandIn> {
  return startLabelStudioStandIn({ legacyToken: LEGACY, personalTokens: [PAT], accessTtlSeconds, projectId: 3, tasks: [], files: {} });
}

const refreshes = (ls: LsStandIn) => ls.requests.filter((r) => r.method === 'POST' && r.path === '/api/token/refresh/').length;

async function projectStatus(url: string, authorization: string): Promise<number> {
  const res = await fetch(`${url}/api/projects/3/`, { headers: { authorization } });
  await res.arrayBuffer();
  return res.status;
}

describe('LabelStudioAuth against the stand-in', () => {
  let ls: LsStandIn;
  let shortLived: LsStandIn;

  beforeAll(async () => {
    ls = await standIn(300);
    shortLived = await standIn(1);
  });
  afterAll(async () => {
    await ls?.close();
    await shortLived?.close();
  });
  beforeEach(() => {
    ls.requests.length = 0;
    shortLived.requests.length = 0;
    ls.faults = {};
  });

  test('a legacy token is sent as Token without any request', async () => {
    const auth = new LabelStudioAuth(ls.url, LEGACY);
    expect(auth.kind).toBe('legacy');
    expect(await auth.header()).toBe(`Token ${LEGACY}`);
    expect(ls.requests).toHaveLength(0);
    expect(await projectStatus(ls.url, await auth.header())).toBe(200);
  });

  test('a personal token is refreshed once, and the Bearer token is reused while fresh', async () => {
    const auth = new LabelStudioAuth(`${ls.url}/`, PAT);
    expect(auth.kind).toBe('personal');
    const first = await auth.header();
    expect(first).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await auth.header()).toBe(first);
    expect(refreshes(ls)).toBe(1);
    expect(await projectStatus(ls.url, first)).toBe(200);
  });

  test('calls at the same time share one refresh', async () => {
    const auth = new LabelStudioAuth(ls.url, PAT);
    const headers = await Promise.all(Array.from({ length: 6 }, () => auth.header()));
    expect(new Set(headers).size).toBe(1);
    expect(refreshes(ls)).toBe(1);
  });

  test('the access token is renewed 30 s before it expires', async () => {
    let offset = 0;
    const auth = new LabelStudioAuth(ls.url, PAT, () => Date.now() + offset);
    const first = await auth.header();
    offset = 268_000; // 300 s token: still more than 30 s left
    expect(await auth.header()).toBe(first);
    expect(refreshes(ls)).toBe(1);
    offset = 271_000; // less than 30 s left
    const second = await auth.header();
    expect(second).not.toBe(first);
    expect(refreshes(ls)).toBe(2);
    expect(await projectStatus(ls.url, second)).toBe(200);
  });

  test('with a 1 s token every call is within 30 s of expiry: a fresh Bearer each time, still valid after the first expired', async () => {
    const auth = new LabelStudioAuth(shortLived.url, PAT);
    const first = await auth.header();
    const second = await auth.header();
    expect(second).not.toBe(first);
    expect(refreshes(shortLived)).toBe(2);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await projectStatus(shortLived.url, first)).toBe(401);
    const third = await auth.header();
    expect(new Set([first, second, third]).size).toBe(3);
    expect(await projectStatus(shortLived.url, third)).toBe(200);
  });

  test('invalidate() forces the next header() to refresh', async () => {
    const auth = new LabelStudioAuth(ls.url, PAT);
    const first = await auth.header();
    auth.invalidate();
    const second = await auth.header();
    expect(second).not.toBe(first);
    expect(refreshes(ls)).toBe(2);
    expect(await auth.header()).toBe(second);
    expect(refreshes(ls)).toBe(2);
  });

  test('a refused refresh is a LabelStudioAuthError naming the HTTP status; a 5xx is retryable and tried again later', async () => {
    const revoked = new LabelStudioAuth(ls.url, REVOKED);
    const err = await revoked.header().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabelStudioAuthError);
    expect((err as LabelStudioAuthError).message).toMatch(/refused the personal access token: HTTP 401 Token is invalid/);
    expect((err as LabelStudioAuthError).retryable).toBe(false);
    expect((err as Error).message).not.toContain(REVOKED);

    ls.faults = { errors: { '/api/token/refresh/': { status: 503, times: 1 } } };
    const auth = new LabelStudioAuth(ls.url, PAT);
    const failed = await auth.header().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LabelStudioAuthError);
    expect((failed as LabelStudioAuthError).message).toMatch(/HTTP 503/);
    expect((failed as LabelStudioAuthError).retryable).toBe(true);
    expect(await projectStatus(ls.url, await auth.header())).toBe(200);
  });
});

const realUrl = process.env.VF_TEST_LS_URL;
const realPat = process.env.VF_TEST_LS_PAT;
(realUrl && realPat ? describe : describe.skip)('LabelStudioAuth against a real Label Studio', () => {
  test('both kinds of token from the server are detected and read the API', async () => {
    expect(tokenKind(realPat!)).toBe('personal');
    expect(tokenKind(process.env.VF_TEST_LS_TOKEN!)).toBe('legacy');
    const auth = new LabelStudioAuth(realUrl!, realPat!);
    const header = await auth.header();
    expect(header).toMatch(/^Bearer /);
    const res = await fetch(`${realUrl}/api/projects`, { headers: { authorization: header } });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('results');
    expect(await auth.header()).toBe(header);
    const legacy = await new LabelStudioAuth(realUrl!, process.env.VF_TEST_LS_TOKEN!).header();
    expect((await fetch(`${realUrl}/api/projects`, { headers: { authorization: legacy } })).status).toBe(200);
  });
});
