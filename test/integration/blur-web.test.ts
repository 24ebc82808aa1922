/**
 * The blur model web page, driven in headless Chromium against a real worker: train a
 * model from the form and follow its progress, find it in the models table with the
 * registry's metrics, open its confusion matrix, classify uploads; cancel a training;
 * set a default and delete a model. Plus the JSON API's refusals (400, 403, 404, 405,
 * 413, 415). The dataset is synthesised from real photographs (test/support/photos.ts):
 * 12 scenes x 3 classes at 384 px for training, a 13th scene for the uploads.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Browser, chromium, Page } from 'playwright-core';
import { synthesizeDataset } from '../../src/lib/blur/synthesize-dataset';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { startWebServer, WebServer } from '../../src/web/web-server';
import { eventually, tempDir, useWorkerAndClient } from '../support/harness';
import { testPhotos } from '../support/photos';

const ctx = useWorkerAndClient('blur-web');
const SCENES = 12;
const root = tempDir('blur-web');
const datasetDir = path.join(root, 'dataset');
/** One more photo, never trained on: the uploads. */
const heldOutDir = path.join(root, 'held-out');
let web: WebServer;
let browser: Browser;
const serverLog: string[] = [];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { error?: string } & Record<string, unknown>;
}

/** A raw HTTP call (node:http, so Host, Origin and Content-Length are ours to set). */
function call(method: string, urlPath: string, options: { headers?: Record<string, string | number>; body?: Buffer | string; chunked?: Buffer[] } = {}): Promise<Reply> {
  const url = new URL(urlPath, web.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method, headers: options.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json = {};
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON (the page)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    // After an early answer (413) the rest of our upload may fail to write: that is fine.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    if (options.chunked) {
      for (const c of options.chunked) req.write(c);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const postJson = (urlPath: string, body: unknown) => call('POST', urlPath, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

beforeAll(async () => {
  const photos = path.join(root, 'photos');
  const extra = path.join(root, 'photos-extra');
  fs.mkdirSync(photos);
  fs.mkdirSync(extra);
  testPhotos(SCENES + 1).forEach((file, i) => fs.copyFileSync(file, path.join(i < SCENES ? photos : extra, `photo${i}-${path.basename(file)}`)));
  await synthesizeDataset({ from: new FileStorage(photos), to: new FileStorage(datasetDir), size: 384, seed: 3 });
  await synthesizeDataset({ from: new FileStorage(extra), to: new FileStorage(heldOutDir), size: 384, seed: 3 });
  web = await startWebServer(ctx.vf, { port: 0, log: (line) => serverLog.push(line) });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
});

function heldOut(cls: 'sharp' | 'defocused_blurred' | 'motion_blurred'): string {
  const dir = path.join(heldOutDir, cls);
  return path.join(dir, fs.readdirSync(dir).filter((f) => f.endsWith('.jpg'))[0]);
}

describe('blur web API', () => {
  test('serves the page with a strict content security policy', async () => {
    const res = await call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(res.body).toContain('<section id="train"');
    // Nothing is loaded from elsewhere: no src/href to another site.
    expect(res.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  test('refuses bad training requests with 400 and the reason', async () => {
    const missing = await postJson('/api/blur/trainings', { params: { epochs: 5 } });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatch(/^dataset: .* is required/);

    const zeroEpochs = await postJson('/api/blur/trainings', { dataset: datasetDir, params: { epochs: 0 } });
    expect(zeroEpochs.status).toBe(400);
    expect(zeroEpochs.json.error).toContain('epochs must be an integer from 1 to 10000, got 0');

    const typo = await postJson('/api/blur/trainings', { dataset: datasetDir, params: { epoch: 5 } });
    expect(typo.status).toBe(400);
    expect(typo.json.error).toContain("unknown training parameter 'epoch'");

    const wrongType = await postJson('/api/blur/trainings', { dataset: datasetDir, params: { learningRate: '0.1' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error).toBe('params.learningRate must be a number, got "0.1"');

    const badVersion = await postJson('/api/blur/trainings', { dataset: datasetDir, version: '../up' });
    expect(badVersion.status).toBe(400);
    expect(badVersion.json.error).toContain("model version '../up' must be 1-64 letters");

    const malformed = await call('POST', '/api/blur/trainings', { headers: { 'Content-Type': 'application/json' }, body: '{"dataset": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toMatch(/^the request body is not valid JSON/);

    const notJson = await call('POST', '/api/blur/trainings', { headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ dataset: datasetDir }) });
    expect(notJson.status).toBe(415);

    // Nothing was started by any of them.
    expect((await ctx.vf.blur.trainingRuns()).length).toBe(0);
  });

  test('404 for unknown models, runs and routes; 405 for a wrong method', async () => {
    for (const [method, url] of [
      ['GET', '/api/blur/models/no-such-model'],
      ['POST', '/api/blur/models/no-such-model/default'],
      ['DELETE', '/api/blur/models/no-such-model'],
    ]) {
      const res = await call(method, url);
      expect(`${method} ${url} ${res.status}`).toBe(`${method} ${url} 404`);
      expect(res.json.error).toContain("no blur model version 'no-such-model'");
    }
    const run = await call('GET', '/api/blur/trainings/blur-train-no-such-run');
    expect(run.status).toBe(404);
    expect((await call('POST', '/api/blur/trainings/capture-CWL9018/cancel')).status).toBe(404); // only blur trainings
    const route = await call('GET', '/api/blur/nothing');
    expect(route.status).toBe(404);
    expect(route.json.error).toBe('no route GET /api/blur/nothing');
    const method = await call('PUT', '/api/blur/models');
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('GET');
  });

  test('413 for bodies over the limits, declared or streamed', async () => {
    const big = await call('POST', '/api/blur/predictions?name=big.jpg', { headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.alloc(50 * 1024 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(big.json.error).toBe('the request body is larger than the limit of 50 MiB');

    // Chunked: no Content-Length, the server counts as it reads.
    const streamed = await call('POST', '/api/blur/predictions?name=big.jpg', { headers: { 'Content-Type': 'image/jpeg' }, chunked: Array.from({ length: 60 }, () => Buffer.alloc(1024 * 1024)) });
    expect(streamed.status).toBe(413);

    const json = await call('POST', '/api/blur/trainings', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ dataset: 'x'.repeat(1024 * 1024) }) });
    expect(json.status).toBe(413);
    expect(json.json.error).toBe('the request body is larger than the limit of 1 MiB');

    // The server is still fine afterwards.
    expect((await call('GET', '/api/blur/models')).status).toBe(200);
    expect(fs.existsSync(path.join(ctx.vf.config.storage.replace('file://', ''), 'blur-uploads'))).toBe(false);
  });

  test('refuses uploads that are not images, and predictions without a model', async () => {
    const text = await call('POST', '/api/blur/predictions?name=a.jpg', { headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    const gif = await call('POST', '/api/blur/predictions?name=a.gif', { headers: { 'Content-Type': 'image/gif' }, body: 'GIF89a' });
    expect(gif.status).toBe(415);
    const empty = await call('POST', '/api/blur/predictions', { headers: { 'Content-Type': 'image/jpeg' }, body: '' });
    expect(empty.status).toBe(400);
    const threshold = await call('POST', '/api/blur/predictions?threshold=high', { headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(heldOut('sharp')) });
    expect(threshold.status).toBe(400);
    expect(threshold.json.error).toBe("threshold must be a percentage from 0 to 100, got 'high'");
    const noModel = await call('POST', '/api/blur/predictions?name=s.jpg', { headers: { 'Content-Type': 'image/jpeg' }, body: fs.readFileSync(heldOut('sharp')) });
    expect(noModel.status).toBe(404);
    expect(noModel.json.error).toMatch(/^no blur model in .*: train one first/);
  });

  test('refuses foreign Host names and cross-origin writes', async () => {
    const rebinding = await call('GET', '/api/blur/models', { headers: { Host: 'attacker.example:80' } });
    expect(rebinding.status).toBe(403);
    const crossSite = await call('POST', '/api/blur/trainings', { headers: { 'Content-Type': 'application/json', Origin: 'https://attacker.example' }, body: JSON.stringify({ dataset: datasetDir }) });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.error).toBe("cross-origin requests are refused (Origin 'https://attacker.example')");
    expect((await ctx.vf.blur.trainingRuns()).length).toBe(0);
  });
});

describe('blur web page', () => {
  let page: Page;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('dialog', (d) => void d.accept());
    await page.goto(web.url);
  });

  afterAll(async () => {
    await page?.close();
  });

  const text = (selector: string) => page.locator(selector).innerText();
  const attr = async (selector: string, name: string) => (await page.locator(selector).getAttribute(name)) ?? '';

  async function fillTrainForm(values: { dataset: string; epochs: string; version: string; setDefault?: boolean }) {
    await page.fill('#train-dataset', values.dataset);
    await page.fill('#train-epochs', values.epochs);
    await page.fill('#train-batch-size', '16');
    await page.fill('#train-version', values.version);
    await page.setChecked('#train-set-default', !!values.setDefault);
  }

  test('shows form errors from the server as text, never as markup', async () => {
    await page.locator('#models-empty').waitFor({ state: 'visible' });
    await fillTrainForm({ dataset: datasetDir, epochs: '0', version: 'fine' });
    await page.click('#train-start');
    await page.waitForSelector('#train-form-error:not(:empty)');
    expect(await text('#train-form-error')).toContain('epochs must be an integer from 1 to 10000, got 0');

    await fillTrainForm({ dataset: datasetDir, epochs: '5', version: '<b id="injected">x</b>' });
    await page.click('#train-start');
    await page.waitForSelector('#train-form-error:text("model version")');
    expect(await text('#train-form-error')).toContain(`model version '<b id="injected">x</b>' must be 1-64 letters`);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('#train-progress').isHidden()).toBe(true);
  });

  test('trains a model from the form and follows it to completion', async () => {
    await fillTrainForm({ dataset: datasetDir, epochs: '15', version: 'web-v1', setDefault: true });
    await page.click('#train-start');
    await page.waitForSelector('#train-progress:not([hidden])');
    expect(await attr('#train-progress', 'data-workflow-id')).toBe('blur-train-web-v1');

    const seen = new Set<string>();
    await eventually(async () => {
      const state = await attr('#train-state', 'data-state');
      seen.add(state);
      return state === 'completed' || state === 'failed' || state === 'cancelled';
    }, 240_000, 'the training to finish');
    expect({ state: await attr('#train-state', 'data-state'), error: await text('#train-error') }).toEqual({ state: 'completed', error: '' });
    expect(seen.has('completed')).toBe(true);

    const model = await ctx.vf.blur.model('web-v1');
    // 15 epochs on train, then 15 more on train + validation.
    expect(await text('#train-epoch')).toBe('30 / 30');
    expect(await text('#train-last')).toMatch(/^final fit on training \+ validation · train loss /);
    expect(await text('#train-features')).toBe(`${model.dataset.images} / ${model.dataset.images} features extracted`);
    expect(model.dataset.images).toBe(SCENES * 3);
    // One point per epoch on each line of the chart; validation figures come from the first stage only.
    expect(await attr('#train-chart .line-train-loss', 'data-points')).toBe('30');
    expect(await attr('#train-chart .line-val-accuracy', 'data-points')).toBe('15');
    expect(Number(await attr('#train-result-accuracy', 'data-value'))).toBe(model.metrics.accuracy);
    expect(await text('#train-result-accuracy')).toBe(pct(model.metrics.accuracy));
    expect(await text('#train-result-binary')).toBe(`${pct(model.metrics.binaryAccuracy)} at threshold ${model.metrics.threshold} %`);
    expect(await text('#train-result-version')).toBe('web-v1 (default)');
    expect(await page.locator('#train-cancel').isHidden()).toBe(true);

    // The models table was refreshed with the new version and the registry's figures.
    const row = page.locator('#models-table tbody tr[data-version="web-v1"]');
    await row.waitFor();
    expect(await row.locator('[data-col=accuracy]').innerText()).toBe(pct(model.metrics.accuracy));
    expect(await row.locator('[data-col=binary-accuracy]').innerText()).toBe(pct(model.metrics.binaryAccuracy));
    expect(await row.locator('[data-col=images]').innerText()).toBe(String(SCENES * 3));
    expect(await row.locator('[data-col=epochs]').innerText()).toBe('30');
    expect(await row.locator('[data-col=backend]').innerText()).toBe(model.backend);
    expect(await row.locator('[data-col=default]').innerText()).toBe('default');
    expect(await row.locator('[data-col=params]').innerText()).toBe(
      `epochs 15 · batch 16 · lr ${model.params.learningRate} · hidden ${model.params.hidden.join('-') || 'none'} · l2 ${model.params.l2} · seed ${model.params.seed} · val ${model.params.validation} · test ${model.params.test}`,
    );
    expect(await row.locator('[data-col=created]').innerText()).toBe(model.createdAt.replace('T', ' ').slice(0, 19));

    // The recent trainings list knows it.
    await page.waitForSelector('#runs-table tr[data-workflow-id="blur-train-web-v1"] [data-col=status]:text("completed")');
  }, 300_000);

  test('shows the details of a model: per-class figures and the 3x3 confusion matrix', async () => {
    const model = await ctx.vf.blur.model('web-v1');
    await page.click('#models-table tr[data-version="web-v1"] [data-action=details]');
    await page.waitForSelector('#model-details:not([hidden])');
    expect(await text('#model-details-version')).toBe('web-v1 (default)');

    const classes = ['sharp', 'defocused', 'motion'] as const;
    const matrix = await page.$$eval('#model-confusion tbody tr', (rows) =>
      rows.map((r) => ({ truth: r.getAttribute('data-true'), cells: [...r.querySelectorAll('td')].map((td) => ({ pred: td.getAttribute('data-pred'), n: Number(td.textContent) })) })),
    );
    expect(matrix.map((r) => r.truth)).toEqual([...classes]);
    expect(matrix.map((r) => r.cells.map((c) => c.pred))).toEqual([[...classes], [...classes], [...classes]]);
    expect(matrix.map((r) => r.cells.map((c) => c.n))).toEqual(model.metrics.confusion);
    const total = model.metrics.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(model.metrics.images);
    expect(total).toBeGreaterThan(0);

    for (const c of classes) {
      const row = page.locator(`#model-perclass tr[data-class="${c}"]`);
      expect(await row.locator('[data-col=precision]').innerText()).toBe(pct(model.metrics.perClass[c].precision));
      expect(await row.locator('[data-col=recall]').innerText()).toBe(pct(model.metrics.perClass[c].recall));
      expect(Number(await row.locator('[data-col=support]').innerText())).toBe(model.metrics.confusion[classes.indexOf(c)].reduce((a, b) => a + b, 0));
    }
    expect(await attr('#model-chart .line-train-loss', 'data-points')).toBe(String(model.training.history.length));
  });

  test('classifies uploaded images: class, probabilities, blur percentage and verdict', async () => {
    // The select offers the default model and each version.
    expect(await page.locator('#predict-model option').allInnerTexts()).toEqual(['Default model (web-v1)', `web-v1 · ${pct((await ctx.vf.blur.model('web-v1')).metrics.accuracy)}`]);

    const classify = async (file: string, threshold: string) => {
      await page.setInputFiles('#predict-file', file);
      // The preview shows the chosen file (decoded by the browser from a blob: URL).
      await eventually(
        () => page.locator('#predict-preview').evaluate((img) => !(img as unknown as { hidden: boolean }).hidden && (img as unknown as { naturalWidth: number }).naturalWidth > 0),
        10_000,
        'the preview',
      );
      await page.fill('#predict-threshold', threshold);
      await page.click('#predict-submit');
      await page.waitForSelector('#predict-result:not([hidden])', { timeout: 60_000 });
      const probabilities = Object.fromEntries(
        await Promise.all(['sharp', 'defocused', 'motion'].map(async (c) => [c, Number(await attr(`#predict-prob-${c}`, 'data-value'))] as const)),
      );
      return {
        verdict: await text('#predict-verdict'),
        blurred: await attr('#predict-verdict', 'data-blurred'),
        blurPercent: Number(await attr('#predict-blur-percent', 'data-value')),
        blurText: await text('#predict-blur-percent'),
        class: await attr('#predict-class', 'data-class'),
        model: await text('#predict-model-used'),
        threshold: await text('#predict-threshold-used'),
        file: await text('#predict-file-name'),
        probabilities,
      };
    };
    // What the API says about the same bytes (the model is deterministic).
    const expected = async (file: string, threshold: number) => {
      const result = await ctx.vf.blur.predict({ source: pathToFileURL(file).href, model: 'web-v1', threshold });
      const row = result.predictions![0];
      if ('error' in row) throw new Error(row.error);
      return row;
    };

    const motion = heldOut('motion_blurred');
    const sharp = heldOut('sharp');
    const [motionApi, sharpApi] = [await expected(motion, 50), await expected(sharp, 50)];

    const shownMotion = await classify(motion, '50');
    expect(shownMotion).toEqual({
      verdict: motionApi.blurred ? 'Blurred' : 'Not blurred',
      blurred: String(motionApi.blurred),
      blurPercent: motionApi.blurPercent,
      blurText: `${motionApi.blurPercent.toFixed(1)} %`,
      class: motionApi.class,
      model: 'web-v1',
      threshold: '50 %',
      file: path.basename(motion),
      probabilities: motionApi.probabilities,
    });
    const shownSharp = await classify(sharp, '50');
    expect(shownSharp.class).toBe(sharpApi.class);
    expect(shownSharp.blurPercent).toBe(sharpApi.blurPercent);
    expect(shownSharp.verdict).toBe(sharpApi.blurPercent >= 50 ? 'Blurred' : 'Not blurred');
    expect(Object.values(shownSharp.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(shownSharp.blurPercent).toBeCloseTo((1 - shownSharp.probabilities.sharp) * 100, 1);
    // A motion-blurred photo of an unseen scene scores blurrier than its sharp original
    // (how sure the model is of each is the model's business, not the page's).
    expect(shownMotion.blurPercent).toBeGreaterThan(shownSharp.blurPercent);

    // The threshold is the user's: at 0 every image counts as blurred.
    const atZero = await classify(sharp, '0');
    expect({ verdict: atZero.verdict, threshold: atZero.threshold, blurPercent: atZero.blurPercent }).toEqual({ verdict: 'Blurred', threshold: '0 %', blurPercent: sharpApi.blurPercent });

    // A file that is not an image is reported, not shown as a result.
    const fake = path.join(root, 'fake.jpg');
    fs.writeFileSync(fake, 'not a jpeg at all');
    await page.setInputFiles('#predict-file', fake);
    await page.fill('#predict-threshold', '50');
    await page.click('#predict-submit');
    await page.waitForSelector('#predict-error:not(:empty)', { timeout: 60_000 });
    expect(await text('#predict-error')).toMatch(/^not a usable image/);
    expect(await page.locator('#predict-result').isHidden()).toBe(true);

    // Too large for the server: the browser reads the 413, not a reset connection.
    const huge = path.join(root, 'huge.jpg');
    fs.writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024 + 10));
    await page.setInputFiles('#predict-file', huge);
    await page.click('#predict-submit');
    await page.waitForSelector('#predict-error:not(:empty)', { timeout: 60_000 });
    expect(await text('#predict-error')).toBe('the request body is larger than the limit of 50 MiB');
  }, 240_000);

  test('cancels a running training from the page', async () => {
    await fillTrainForm({ dataset: datasetDir, epochs: '10000', version: 'web-cancelled' });
    await page.click('#train-start');
    await eventually(async () => (await attr('#train-progress', 'data-workflow-id')) === 'blur-train-web-cancelled', 10_000, 'the page to follow the new run');
    await eventually(async () => (await attr('#train-state', 'data-state')) === 'training', 120_000, 'the training to start its epochs');
    await page.click('#train-cancel');
    await eventually(async () => (await attr('#train-state', 'data-state')) === 'cancelled', 60_000, 'the training to be cancelled');
    expect(await page.locator('#train-cancel').isHidden()).toBe(true);
    expect((await ctx.vf.blur.models()).map((m) => m.version)).toEqual(['web-v1']);
    await page.click('#models-refresh');
    expect(await page.locator('#models-table tbody tr').count()).toBe(1);
  }, 240_000);

  test('sets the default model and deletes a model', async () => {
    const run = await ctx.vf.blur.startTraining({ dataset: datasetDir, version: 'web-v2', params: { epochs: 3, batchSize: 16 } });
    await ctx.vf.blur.trainingResult(run.workflowId);
    await page.click('#models-refresh');
    await page.waitForSelector('#models-table tr[data-version="web-v2"]');
    // web-v1 stays default: it was set explicitly.
    expect(await page.locator('#models-table tr.is-default').getAttribute('data-version')).toBe('web-v1');

    await page.click('#models-table tr[data-version="web-v2"] [data-action=default]');
    await page.waitForSelector('#models-table tr.is-default[data-version="web-v2"]');
    expect((await ctx.vf.blur.models()).find((m) => m.isDefault)?.version).toBe('web-v2');
    expect(await page.locator('#predict-model option').first().innerText()).toBe('Default model (web-v2)');

    await page.click('#models-table tr[data-version="web-v2"] [data-action=delete]');
    await page.waitForSelector('#models-table tr[data-version="web-v2"]', { state: 'detached' });
    expect((await ctx.vf.blur.models()).map((m) => ({ version: m.version, isDefault: m.isDefault }))).toEqual([{ version: 'web-v1', isDefault: true }]);
    expect(await page.locator('#models-table tr.is-default').getAttribute('data-version')).toBe('web-v1');
  }, 240_000);

  test('the page loaded nothing from elsewhere and logged no errors', () => {
    const foreign = requests.filter((u) => !u.startsWith(`${web.url}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    // The only console errors allowed are the failed requests the tests provoked on purpose (4xx).
    expect(pageErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    expect(serverLog).toEqual([]);
  });
});
