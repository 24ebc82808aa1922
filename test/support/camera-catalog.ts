/**
 * A camera catalog on 127.0.0.1 in the Grand Lyon open-data format
 * (download.data.grandlyon.com/ws/rdata/pvo_patrimoine_voirie.pvocameracriter/all.json):
 * `values[]` with `numeromaintenance` and `url` among other fields, paged with `next`.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export async function startCameraCatalog(pages: Record<string, unknown>[][]): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const server = http.createServer((req, res) => {
    const m = /page=(\d+)/.exec(req.url ?? '');
    const page = m ? Number(m[1]) : 0;
    const body = {
      fields: ['numeromaintenance', 'nom', 'url', 'gid'],
      layer_name: 'pvo_patrimoine_voirie.pvocameracriter',
      nb_results: pages.flat().length,
      values: pages[page] ?? [],
      next: page + 1 < pages.length ? `${base}/all.json?page=${page + 1}` : undefined,
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/all.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
