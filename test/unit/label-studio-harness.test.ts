/**
 * The real Label Studio from the global setup (test/support/label-studio.ts): both kinds
 * of token read the API, the username and password log in, uploaded images come back
 * byte-identical only with auth, and an annotation made through the admin helpers shows
 * up in the JSON export.
 */
import sharp from 'sharp';
import { LabelStudioAdmin } from '../support/label-studio';

const url = process.env.VF_TEST_LS_URL;

async function image(width: number, height: number, colour: string, format: 'jpeg' | 'png'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .toFormat(format)
    .toBuffer();
}

/** Exchanges the personal access token (a JWT refresh token) for a short-lived access token. */
async function accessToken(refresh: string): Promise<string> {
  const res = await fetch(`${url}/api/token/refresh/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh }) });
  expect(res.status).toBe(200);
  const { access } = (await res.json()) as { access: string };
  expect(access).toEqual(expect.any(String));
  return access;
}

/** Django's login form: a CSRF cookie from GET, then POST email and password; 302 means logged in. */
async function logIn(email: string, password: string): Promise<Response> {
  const form = await fetch(`${url}/user/login/`);
  const csrf = /csrftoken=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')?.[1];
  expect(csrf).toEqual(expect.any(String));
  return fetch(`${url}/user/login/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: `csrftoken=${csrf}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, csrfmiddlewaretoken: csrf! }),
  });
}

if (!url) {
  console.warn('\n*** label-studio-harness.test.ts: VF_TEST_LS_URL is unset (no label-studio binary), the Label Studio harness tests are SKIPPED ***\n');
  test.skip('Label Studio harness (no Label Studio)', () => undefined);
} else {
  const legacy = process.env.VF_TEST_LS_TOKEN!;
  const personal = process.env.VF_TEST_LS_PAT!;
  const admin = new LabelStudioAdmin(url, legacy);

  describe('Label Studio harness', () => {
    test('the legacy token reads /api/projects; no token is 401', async () => {
      const res = await fetch(`${url}/api/projects`, { headers: { Authorization: `Token ${legacy}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expect.objectContaining({ results: expect.any(Array) }));
      expect((await fetch(`${url}/api/projects`)).status).toBe(401);
    });

    test('the personal access token refreshes to a Bearer token that reads /api/projects; the refresh token itself is no Token', async () => {
      const access = await accessToken(personal);
      expect((await fetch(`${url}/api/projects`, { headers: { Authorization: `Bearer ${access}` } })).status).toBe(200);
      expect((await fetch(`${url}/api/projects`, { headers: { Authorization: `Token ${personal}` } })).status).toBe(401);
    });

    test('the username and password log in to the web UI (a wrong password does not)', async () => {
      const username = process.env.VF_TEST_LS_USERNAME!;
      const password = process.env.VF_TEST_LS_PASSWORD!;
      expect((await logIn(username, `${password}-wrong`)).status).toBe(200); // the form again, with an error
      const login = await logIn(username, password);
      expect(login.status).toBe(302);
      const session = /sessionid=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
      const whoami = await fetch(`${url}/api/current-user/whoami`, { headers: { Cookie: `sessionid=${session}` } });
      expect(whoami.status).toBe(200);
      expect(await whoami.json()).toEqual(expect.objectContaining({ email: username }));
    });

    test('imported images come back byte-identical with auth, 401 without; an annotation is in the export', async () => {
      const project = await admin.createProject('harness check');
      expect(project.id).toEqual(expect.any(Number));
      const files = [
        { name: 'red.jpg', body: await image(32, 24, '#d01010', 'jpeg') },
        { name: 'street cam (2).jpg', body: await image(40, 30, '#1010d0', 'jpeg') },
        { name: 'green.png', body: await image(16, 16, '#10d010', 'png') },
      ];
      const tasks = await admin.importImages(project.id, files);
      expect(tasks.map((t) => t.name)).toEqual(files.map((f) => f.name));
      expect(new Set(tasks.map((t) => t.id)).size).toBe(3);

      const access = await accessToken(personal);
      for (const [i, task] of tasks.entries()) {
        expect(task.image).toMatch(new RegExp(`^/data/upload/${project.id}/[0-9a-f]{8}-`));
        const withToken = await fetch(`${url}${task.image}`, { headers: { Authorization: `Token ${legacy}` } });
        expect(withToken.status).toBe(200);
        expect(Buffer.from(await withToken.arrayBuffer()).equals(files[i].body)).toBe(true);
        const withBearer = await fetch(`${url}${task.image}`, { headers: { Authorization: `Bearer ${access}` } });
        expect(Buffer.from(await withBearer.arrayBuffer()).equals(files[i].body)).toBe(true);
        expect((await fetch(`${url}${task.image}`)).status).toBe(401);
      }

      const box = {
        from_name: 'label',
        to_name: 'image',
        type: 'rectanglelabels',
        original_width: 40,
        original_height: 30,
        image_rotation: 0,
        value: { x: 10, y: 20, width: 30, height: 40, rotation: 0, rectanglelabels: ['bus'] },
      };
      const annotation = await admin.annotate(tasks[1].id, [box]);
      expect(annotation.id).toEqual(expect.any(Number));

      const exported = (await admin.exportJson(project.id)) as { id: number; data: { image: string }; annotations: { id: number; result: unknown[] }[] }[];
      expect(exported.map((t) => t.id).sort()).toEqual(tasks.map((t) => t.id).sort());
      const annotated = exported.find((t) => t.id === tasks[1].id)!;
      expect(annotated.data.image).toBe(tasks[1].image);
      expect(annotated.annotations).toEqual([expect.objectContaining({ id: annotation.id, result: [expect.objectContaining(box)] })]);
      expect(exported.filter((t) => t.id !== tasks[1].id).every((t) => t.annotations.length === 0)).toBe(true);
    });
  });
}
