import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseCameraList } from '../../src/lib/camera/camera-list';
import { CatalogError, fetchCameraCatalog } from '../../src/lib/camera/fetch-camera-catalog';

const LYON = 'https://download.data.grandlyon.com/files/rdata/pvo_patrimoine_voirie.pvocameracriter';

/** One row shaped like the Grand Lyon "Caméras Web Criter" catalog (synthetic values). */
function lyonRow(numeromaintenance: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nom: 'Porte de Gerland',
    libellelong: 'Avenue T.Garnier / Avenue J.Jaurès',
    identifiant: 259,
    numeromaintenance,
    typecamera: 'Web',
    fournisseur: 'CRITER',
    observation: 'Direction : Porte de Gerland',
    gid: 12,
    lon: '4.8372',
    lat: '45.7296',
    url: `${LYON}/${numeromaintenance}.JPG`,
    last_update: '2026-11-21 10:15:00',
    ...extra,
  };
}

describe('parseCameraList', () => {
  test('our list format: a plain array or {cameras}', () => {
    const cameras = [
      { id: 'gate-1', url: 'http://10.0.0.5/snap.jpg' },
      { id: 'CWL9018', url: `${LYON}/CWL9018.JPG`, note: 'extra fields are ignored' },
    ];
    const expected = [
      { id: 'gate-1', url: 'http://10.0.0.5/snap.jpg' },
      { id: 'CWL9018', url: `${LYON}/CWL9018.JPG` },
    ];
    expect(parseCameraList(cameras, 'cams.json')).toEqual({ cameras: expected, problems: [], next: undefined });
    expect(parseCameraList({ cameras }, 'cams.json')).toEqual({ cameras: expected, problems: [], next: undefined });
  });

  test('Grand Lyon format: numeromaintenance is the id, url the still, next the following page', () => {
    const doc = {
      fields: ['nom', 'numeromaintenance', 'url'],
      layer_name: 'pvo_patrimoine_voirie.pvocameracriter',
      nb_results: 2,
      next: 'https://download.data.grandlyon.com/ws/rdata/pvo_patrimoine_voirie.pvocameracriter/all.json?maxfeatures=2&start=3',
      values: [lyonRow('CWL9018'), lyonRow('CWL7033')],
    };
    expect(parseCameraList(doc, 'lyon')).toEqual({
      cameras: [
        { id: 'CWL9018', url: 'https://download.data.grandlyon.com/files/rdata/pvo_patrimoine_voirie.pvocameracriter/CWL9018.JPG' },
        { id: 'CWL7033', url: `${LYON}/CWL7033.JPG` },
      ],
      problems: [],
      next: doc.next,
    });
  });

  test('bad entries are skipped and reported one by one with their position', () => {
    const { cameras, problems } = parseCameraList(
      [
        { id: 'ok-1', url: 'http://cam/1.jpg' },
        { id: '../x', url: 'http://cam/2.jpg' },
        { url: 'http://cam/3.jpg' },
        { id: 'ftp-cam', url: 'ftp://cam/4.jpg' },
        { id: 'no-url' },
        { id: 'ok-1', url: 'http://cam/other.jpg' },
        'just a string',
        { id: 'ok-2', url: 'HTTPS://cam/7.jpg' },
      ],
      'cams.json',
    );
    expect(cameras).toEqual([
      { id: 'ok-1', url: 'http://cam/1.jpg' },
      { id: 'ok-2', url: 'HTTPS://cam/7.jpg' },
    ]);
    expect(problems).toHaveLength(6);
    expect(problems[0]).toMatch(/^cams\.json entry 1: id "\.\.\/x" is not a usable camera id/);
    expect(problems[1]).toMatch(/^cams\.json entry 2: id undefined/);
    expect(problems[2]).toMatch(/^cams\.json entry 3 \(ftp-cam\): url "ftp:\/\/cam\/4\.jpg" is not http\(s\)/);
    expect(problems[3]).toMatch(/^cams\.json entry 4 \(no-url\): url undefined/);
    expect(problems[4]).toBe("cams.json entry 5: duplicate camera id 'ok-1'");
    expect(problems[5]).toBe('cams.json entry 6: not an object');
  });

  test('Grand Lyon problems name the numeromaintenance field', () => {
    const { cameras, problems } = parseCameraList({ values: [lyonRow('CWL 9018'), lyonRow('CWL1', { url: null })] }, 'lyon');
    expect(cameras).toEqual([]);
    expect(problems[0]).toContain('numeromaintenance "CWL 9018"');
    expect(problems[1]).toContain('(CWL1): url null is not http(s)');
  });

  test.each([
    ['a string', 'cams'],
    ['null', null],
    ['an object without a list', { cams: [] }],
    ['values that are not an array', { values: {} }],
  ])('a document that is %s is rejected as a whole', (_what, doc) => {
    expect(() => parseCameraList(doc, 'cams.json')).toThrow(/^cams\.json: expected a JSON array/);
  });
});

describe('fetchCameraCatalog from a local catalog server', () => {
  let server: http.Server;
  let base: string;
  const hits: string[] = [];
  const routes = new Map<string, { status?: number; body: string; type?: string }>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname) ?? { status: 404, body: '{"error":"not found"}' };
      res.writeHead(route.status ?? 200, { 'content-type': route.type ?? 'application/json' });
      res.end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits.length = 0;
    routes.clear();
  });

  async function catalogError(url: string): Promise<CatalogError> {
    const err = await fetchCameraCatalog(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }

  test('follows next and merges both pages', async () => {
    routes.set('/all.json', {
      body: JSON.stringify({ values: [lyonRow('CWL9018'), lyonRow('CWL7033')], next: `${base}/page2.json?start=3` }),
    });
    routes.set('/page2.json', {
      body: JSON.stringify({ values: [lyonRow('CWL7033'), lyonRow('CWL2001'), lyonRow('bad id')] }),
    });
    const { cameras, problems } = await fetchCameraCatalog(`${base}/all.json`);
    expect(cameras.map((c) => c.id)).toEqual(['CWL9018', 'CWL7033', 'CWL2001']);
    expect(cameras[0].url).toBe(`${LYON}/CWL9018.JPG`);
    expect(hits).toEqual(['/all.json', '/page2.json?start=3']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${base}/page2.json?start=3 entry 2`);
  });

  test('a next link pointing back at an earlier page still ends', async () => {
    routes.set('/a.json', { body: JSON.stringify({ values: [lyonRow('CWL1')], next: `${base}/b.json` }) });
    routes.set('/b.json', { body: JSON.stringify({ values: [lyonRow('CWL2')], next: `${base}/a.json` }) });
    const { cameras } = await fetchCameraCatalog(`${base}/a.json`);
    expect(cameras.map((c) => c.id)).toEqual(['CWL1', 'CWL2']);
  });

  test('404 is a non-retryable CatalogError naming the URL and status', async () => {
    const err = await catalogError(`${base}/missing.json`);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`camera catalog ${base}/missing.json: HTTP 404`);
  });

  test('503 is retryable', async () => {
    routes.set('/busy.json', { status: 503, body: 'maintenance' });
    const err = await catalogError(`${base}/busy.json`);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('HTTP 503');
  });

  test('a body that is not JSON is non-retryable', async () => {
    routes.set('/html.json', { body: '<html><body>Portail en maintenance</body></html>', type: 'text/html' });
    const err = await catalogError(`${base}/html.json`);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('body is not JSON');
  });

  test('JSON of the wrong shape is non-retryable', async () => {
    routes.set('/shape.json', { body: JSON.stringify({ features: [] }) });
    const err = await catalogError(`${base}/shape.json`);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/expected a JSON array/);
  });

  test('secrets in the catalog URL are masked in errors', async () => {
    const err = await catalogError(`${base}/missing.json?apikey=s3cr3t`);
    expect(err.message).not.toContain('s3cr3t');
    expect(err.message).toContain('apikey=***');
  });
});
