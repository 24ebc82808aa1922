/**
 * The blur model web page served at `/` by web-server.ts: one self-contained HTML
 * document (inline CSS and plain DOM JavaScript, no build step, nothing fetched from
 * elsewhere) with three sections: Train, Models and Predict. It only talks to the
 * JSON API under /api/blur. Text from the server (model names, errors) reaches the
 * DOM through textContent and attributes, never through innerHTML.
 *
 * A TypeScript string rather than an .html file because tsc does not copy assets to
 * dist/. The script avoids backticks and dollar-brace so this template stays plain.
 */
import { DEFAULT_BLUR_THRESHOLD } from '../lib/blur/blur-scores';
import { TRAIN_DEFAULTS } from '../lib/blur/train-params';

const d = TRAIN_DEFAULTS;

export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>visionflow · blur models</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1d2330; --muted: #5b6474; --line: #d9dde5; --bg: #f6f7f9; --card: #fff; --accent: #2357c6; --ok: #1d7a45; --bad: #b3261e; --warn: #a15c00; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { background: var(--fg); color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header nav a { color: #cfd8ea; margin-right: 16px; text-decoration: none; }
  header nav a:hover, header nav a:focus { color: #fff; text-decoration: underline; }
  main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
  h2 { margin: 0 0 12px; font-size: 20px; }
  h3 { margin: 16px 0 8px; font-size: 16px; }
  fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 12px; padding: 8px 12px 12px; }
  legend { color: var(--muted); padding: 0 4px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px 16px; }
  .field { display: flex; flex-direction: column; gap: 3px; }
  .field.wide { grid-column: 1 / -1; }
  .field label { font-size: 13px; color: var(--muted); }
  .hint { font-size: 12px; color: var(--muted); }
  input[type=text], input[type=number], select { font: inherit; padding: 5px 7px; border: 1px solid #b9c0cc; border-radius: 4px; background: #fff; }
  input:focus, select:focus, button:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  .check { flex-direction: row; align-items: center; gap: 6px; }
  button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: var(--accent); }
  button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
  button:disabled { opacity: .5; cursor: default; }
  .actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  .error { color: var(--bad); white-space: pre-wrap; }
  .error:empty, .note:empty { display: none; }
  .note { color: var(--muted); }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  caption { text-align: left; color: var(--muted); padding: 4px 0; }
  th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
  th { background: #eef1f6; font-weight: 600; }
  tbody th { background: none; }
  td[data-col=created] { white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.is-default td { background: #f0f6ff; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 10px; background: var(--accent); color: #fff; font-size: 12px; }
  .params { font-size: 12px; color: var(--muted); }
  .state { font-weight: 600; }
  .state[data-state=completed] { color: var(--ok); }
  .state[data-state=failed], .state[data-state=cancelled] { color: var(--bad); }
  progress { width: 100%; height: 10px; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
  dl.facts dt { color: var(--muted); }
  dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
  .chart { width: 100%; max-width: 560px; height: auto; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
  .legend { font-size: 12px; color: var(--muted); display: flex; gap: 14px; }
  .legend span::before { content: ""; display: inline-block; width: 14px; height: 3px; margin-right: 4px; vertical-align: middle; background: currentColor; }
  .c-train { color: #2357c6; } .c-val { color: #d9822b; } .c-acc { color: #1d7a45; }
  table.confusion { width: auto; }
  table.confusion td { text-align: center; min-width: 64px; }
  table.confusion td.diag { font-weight: 700; background: #e7f5ec; }
  .predict { display: grid; grid-template-columns: minmax(220px, 340px) 1fr; gap: 20px; }
  @media (max-width: 720px) { .predict { grid-template-columns: 1fr; } }
  #predict-preview { max-width: 100%; max-height: 320px; border: 1px solid var(--line); border-radius: 4px; display: block; }
  .bars { display: grid; grid-template-columns: 80px 1fr 64px; gap: 6px 10px; align-items: center; max-width: 460px; }
  .bar { height: 14px; background: #eef1f6; border-radius: 3px; overflow: hidden; }
  .bar > div { height: 100%; background: var(--accent); width: 0; }
  .verdict { font-size: 20px; font-weight: 700; }
  .verdict[data-blurred=true] { color: var(--bad); }
  .verdict[data-blurred=false] { color: var(--ok); }
  .big { font-size: 18px; font-weight: 600; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>visionflow · blur models</h1>
  <nav aria-label="Sections"><a href="#train">Train</a><a href="#models">Models</a><a href="#predict">Predict</a></nav>
</header>
<main>

<section id="train" aria-labelledby="train-title">
  <h2 id="train-title">Train a model</h2>
  <form id="train-form" novalidate>
    <fieldset>
      <legend>Dataset</legend>
      <div class="grid">
        <div class="field wide">
          <label for="train-dataset">Dataset URL or folder path</label>
          <input type="text" id="train-dataset" name="dataset" required autocomplete="off" spellcheck="false"
                 placeholder="s3://bucket/Dataset, file:///data/Dataset or /data/Dataset" aria-describedby="train-dataset-hint">
          <span class="hint" id="train-dataset-hint">Folders sharp/, defocused_blurred/ and motion_blurred/ with files named id_device_type.jpg.</span>
        </div>
      </div>
    </fieldset>
    <fieldset>
      <legend>Parameters</legend>
      <div class="grid">
        <div class="field"><label for="train-epochs">Epochs</label><input type="number" id="train-epochs" name="epochs" min="1" max="10000" step="1" value="${d.epochs}" aria-describedby="train-epochs-hint"><span class="hint" id="train-epochs-hint">On the training split, then as many on training + validation</span></div>
        <div class="field"><label for="train-batch-size">Batch size</label><input type="number" id="train-batch-size" name="batchSize" min="1" max="4096" step="1" value="${d.batchSize}"></div>
        <div class="field"><label for="train-learning-rate">Learning rate</label><input type="number" id="train-learning-rate" name="learningRate" min="0" max="1" step="any" value="${d.learningRate}"></div>
        <div class="field"><label for="train-hidden">Hidden layers</label><input type="text" id="train-hidden" name="hidden" value="${d.hidden.join(', ')}" aria-describedby="train-hidden-hint" spellcheck="false"><span class="hint" id="train-hidden-hint">Units per layer, comma-separated (up to 4; empty: none)</span></div>
        <div class="field"><label for="train-l2">L2 penalty</label><input type="number" id="train-l2" name="l2" min="0" max="1" step="any" value="${d.l2}"></div>
        <div class="field"><label for="train-seed">Seed</label><input type="number" id="train-seed" name="seed" step="1" value="${d.seed}"></div>
        <div class="field"><label for="train-validation">Validation share</label><input type="number" id="train-validation" name="validation" min="0" max="0.95" step="any" value="${d.validation}"></div>
        <div class="field"><label for="train-test">Test share</label><input type="number" id="train-test" name="test" min="0" max="0.95" step="any" value="${d.test}"></div>
        <div class="field"><label for="train-version">Version name (optional)</label><input type="text" id="train-version" name="version" autocomplete="off" spellcheck="false" placeholder="start time, e.g. 20261121-101530" aria-describedby="train-version-hint"><span class="hint" id="train-version-hint">Letters, digits, '.', '_' or '-'</span></div>
        <div class="field check"><input type="checkbox" id="train-set-default" name="setDefault"><label for="train-set-default">Set as default model</label></div>
      </div>
    </fieldset>
    <div class="actions">
      <button type="submit" id="train-start">Start training</button>
      <span class="error" id="train-form-error" role="alert"></span>
    </div>
  </form>

  <div id="train-progress" hidden aria-live="polite">
    <h3>Training <span id="train-run"></span></h3>
    <dl class="facts">
      <dt>State</dt><dd><span class="state" id="train-state" data-state=""></span></dd>
      <dt>Images</dt><dd id="train-features"></dd>
      <dt>Epoch</dt><dd id="train-epoch"></dd>
      <dt>Last epoch</dt><dd id="train-last"></dd>
    </dl>
    <progress id="train-bar" max="1" value="0" aria-label="Training progress"></progress>
    <div class="legend" aria-hidden="true"><span class="c-train">train loss</span><span class="c-val">validation loss</span><span class="c-acc">validation accuracy</span></div>
    <svg id="train-chart" class="chart" viewBox="0 0 560 160" role="img" aria-label="Loss and accuracy by epoch"></svg>
    <div id="train-result" hidden></div>
    <p class="error" id="train-error" role="alert"></p>
    <p class="note" id="train-note"></p>
    <div class="actions"><button type="button" class="danger" id="train-cancel" hidden>Cancel training</button></div>
  </div>

  <h3>Recent trainings</h3>
  <table id="runs-table">
    <caption class="note">trainBlurModel runs in Temporal, newest first</caption>
    <thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col"><span class="note">Action</span></th></tr></thead>
    <tbody></tbody>
  </table>
  <p class="note" id="runs-empty" hidden>No training yet.</p>
</section>

<section id="models" aria-labelledby="models-title">
  <div class="actions"><h2 id="models-title">Models</h2><button type="button" class="secondary" id="models-refresh">Refresh</button></div>
  <p class="error" id="models-error" role="alert"></p>
  <table id="models-table">
    <caption class="note">The blur model registry, newest first. Accuracy is measured on held-out test scenes.</caption>
    <thead><tr>
      <th scope="col">Version</th><th scope="col">Created (UTC)</th><th scope="col">Default</th><th scope="col" class="num">Images</th>
      <th scope="col" class="num">Accuracy (3 classes)</th><th scope="col" class="num">Blurred / sharp accuracy</th><th scope="col" class="num">Epochs</th>
      <th scope="col" class="num">Training time</th><th scope="col">Backend</th><th scope="col">Parameters</th><th scope="col"><span class="note">Actions</span></th>
    </tr></thead>
    <tbody></tbody>
  </table>
  <p class="note" id="models-empty" hidden>No model yet: train one above.</p>

  <div id="model-details" hidden aria-live="polite">
    <div class="actions"><h3>Model <span id="model-details-version"></span></h3><button type="button" class="secondary" id="model-details-close">Close</button></div>
    <dl class="facts" id="model-facts"></dl>
    <h3>Per class</h3>
    <table id="model-perclass">
      <caption class="note">Precision, recall and F1 on the evaluation split</caption>
      <thead><tr><th scope="col">Class</th><th scope="col" class="num">Precision</th><th scope="col" class="num">Recall</th><th scope="col" class="num">F1</th><th scope="col" class="num">Images</th></tr></thead>
      <tbody></tbody>
    </table>
    <h3>Confusion matrix</h3>
    <table id="model-confusion" class="confusion">
      <caption class="note">Rows: true class; columns: predicted class</caption>
      <thead></thead><tbody></tbody>
    </table>
    <h3>Training history</h3>
    <div class="legend" aria-hidden="true"><span class="c-train">train loss</span><span class="c-val">validation loss</span><span class="c-acc">validation accuracy</span></div>
    <svg id="model-chart" class="chart" viewBox="0 0 560 160" role="img" aria-label="Loss and accuracy by epoch"></svg>
  </div>
</section>

<section id="predict" aria-labelledby="predict-title">
  <h2 id="predict-title">Is this image blurred?</h2>
  <div class="predict">
    <form id="predict-form" novalidate>
      <div class="field"><label for="predict-file">Image (JPEG, PNG, WebP, TIFF or AVIF)</label>
        <input type="file" id="predict-file" name="image" accept="image/jpeg,image/png,image/webp,image/tiff,image/avif" required></div>
      <div class="field"><label for="predict-model">Model</label><select id="predict-model" name="model"><option value="">Default model</option></select></div>
      <div class="field"><label for="predict-threshold">Threshold (blur %)</label>
        <input type="number" id="predict-threshold" name="threshold" min="0" max="100" step="any" value="${DEFAULT_BLUR_THRESHOLD}" aria-describedby="predict-threshold-hint">
        <span class="hint" id="predict-threshold-hint">Blurred when the blur percentage is at or above this.</span></div>
      <p class="actions"><button type="submit" id="predict-submit">Classify</button><span class="note" id="predict-status" aria-live="polite"></span></p>
      <p class="error" id="predict-error" role="alert"></p>
      <img id="predict-preview" alt="Preview of the chosen image" hidden>
    </form>
    <div id="predict-result" hidden aria-live="polite">
      <p class="verdict" id="predict-verdict" data-blurred=""></p>
      <dl class="facts">
        <dt>Blur</dt><dd class="big" id="predict-blur-percent" data-value=""></dd>
        <dt>Class</dt><dd class="big" id="predict-class" data-class=""></dd>
        <dt>Threshold</dt><dd id="predict-threshold-used"></dd>
        <dt>Model</dt><dd id="predict-model-used"></dd>
        <dt>File</dt><dd id="predict-file-name"></dd>
      </dl>
      <div class="bars" id="predict-probabilities" aria-label="Class probabilities"></div>
    </div>
  </div>
</section>

</main>
<script>
(function () {
  'use strict';
  var CLASSES = ['sharp', 'defocused', 'motion'];
  var LABELS = { sharp: 'sharp', defocused: 'defocused', motion: 'motion blur' };
  var FINAL = { completed: true, cancelled: true, failed: true };
  var SVG = 'http://www.w3.org/2000/svg';
  var $ = function (id) { return document.getElementById(id); };

  /** An element with attributes and children; strings become text nodes, so nothing is parsed as HTML. */
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') el.textContent = String(v);
      else if (k === 'onclick') el.addEventListener('click', v);
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function pct(x, digits) { return (x === null || x === undefined) ? '–' : (x * 100).toFixed(digits === undefined ? 1 : digits) + ' %'; }
  function num(x, digits) { return (x === null || x === undefined) ? '–' : Number(x).toFixed(digits); }
  function when(iso) { return iso ? String(iso).replace('T', ' ').slice(0, 19) : ''; }
  function duration(ms) {
    if (ms === null || ms === undefined) return '';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    return m + ' min ' + String(Math.round(s - m * 60)).padStart(2, '0') + ' s';
  }
  function paramsText(p) {
    if (!p) return '';
    return 'epochs ' + p.epochs + ' · batch ' + p.batchSize + ' · lr ' + p.learningRate + ' · hidden ' + (p.hidden && p.hidden.length ? p.hidden.join('-') : 'none') +
      ' · l2 ' + p.l2 + ' · seed ' + p.seed + ' · val ' + p.validation + ' · test ' + p.test;
  }

  /** fetch + JSON; a non-2xx answer throws an Error carrying the server's message. */
  function api(method, path, body, contentType) {
    var init = { method: method, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = contentType || 'application/json';
      init.body = contentType ? body : JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var err = new Error((data && data.error) || ('HTTP ' + res.status + ' ' + res.statusText));
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  /** Train loss, validation loss (left axis) and validation accuracy (right axis, 0-1) by epoch. */
  function drawChart(svg, history, epochs) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = 560, H = 160, L = 40, R = 40, T = 10, B = 22;
    function s(tag, attrs, text) {
      var el = document.createElementNS(SVG, tag);
      Object.keys(attrs).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
      if (text !== undefined) el.textContent = text;
      svg.appendChild(el);
      return el;
    }
    s('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: 'none', stroke: '#d9dde5' });
    history = history || [];
    var n = Math.max(epochs || 0, history.length ? history[history.length - 1].epoch : 0, 1);
    var losses = [];
    history.forEach(function (e) { losses.push(e.trainLoss); if (e.valLoss !== null && e.valLoss !== undefined) losses.push(e.valLoss); });
    var maxLoss = losses.length ? Math.max.apply(null, losses) : 1;
    if (!(maxLoss > 0)) maxLoss = 1;
    var x = function (epoch) { return L + (W - L - R) * (n === 1 ? 1 : (epoch - 1) / (n - 1)); };
    var yLoss = function (v) { return T + (H - T - B) * (1 - v / maxLoss); };
    var yAcc = function (v) { return T + (H - T - B) * (1 - v); };
    s('text', { x: 4, y: T + 10, 'font-size': 10, fill: '#5b6474' }, maxLoss.toFixed(2));
    s('text', { x: 4, y: H - B, 'font-size': 10, fill: '#5b6474' }, '0');
    s('text', { x: W - R + 4, y: T + 10, 'font-size': 10, fill: '#1d7a45' }, '100%');
    s('text', { x: W - R + 4, y: H - B, 'font-size': 10, fill: '#1d7a45' }, '0%');
    s('text', { x: L, y: H - 6, 'font-size': 10, fill: '#5b6474' }, 'epoch 1');
    s('text', { x: W - R, y: H - 6, 'font-size': 10, fill: '#5b6474', 'text-anchor': 'end' }, 'epoch ' + n);
    function line(values, y, color, cls) {
      var pts = [];
      history.forEach(function (e) { var v = values(e); if (v !== null && v !== undefined) pts.push(x(e.epoch).toFixed(1) + ',' + y(v).toFixed(1)); });
      if (pts.length) s('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 2, class: cls, 'data-points': pts.length });
    }
    line(function (e) { return e.trainLoss; }, yLoss, '#2357c6', 'line-train-loss');
    line(function (e) { return e.valLoss; }, yLoss, '#d9822b', 'line-val-loss');
    line(function (e) { return e.valAccuracy; }, yAcc, '#1d7a45', 'line-val-accuracy');
  }

  // ---------------------------------------------------------------- Train
  var following = null;
  var pollTimer = null;
  var pollFailures = 0;

  function numberField(id, name, integer) {
    var raw = $(id).value.trim();
    if (raw === '') return undefined;
    var v = Number(raw);
    if (!isFinite(v)) throw new Error(name + ' must be a number, got "' + raw + '"');
    if (integer && !Number.isInteger(v)) throw new Error(name + ' must be a whole number, got "' + raw + '"');
    return v;
  }

  function trainRequest() {
    var hiddenRaw = $('train-hidden').value.trim();
    var hidden = hiddenRaw === '' ? [] : hiddenRaw.split(/[\s,]+/).filter(Boolean).map(function (t) {
      var v = Number(t);
      if (!Number.isInteger(v)) throw new Error('hidden layers must be whole numbers separated by commas, got "' + hiddenRaw + '"');
      return v;
    });
    var body = {
      dataset: $('train-dataset').value.trim(),
      params: {
        epochs: numberField('train-epochs', 'epochs', true),
        batchSize: numberField('train-batch-size', 'batch size', true),
        learningRate: numberField('train-learning-rate', 'learning rate'),
        hidden: hidden,
        l2: numberField('train-l2', 'L2 penalty'),
        seed: numberField('train-seed', 'seed', true),
        validation: numberField('train-validation', 'validation share'),
        test: numberField('train-test', 'test share')
      },
      setDefault: $('train-set-default').checked
    };
    var version = $('train-version').value.trim();
    if (version) body.version = version;
    return body;
  }

  $('train-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var error = $('train-form-error');
    error.textContent = '';
    var body;
    try {
      body = trainRequest();
      if (!body.dataset) throw new Error('Give the dataset URL or folder path.');
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    var button = $('train-start');
    button.disabled = true;
    api('POST', '/api/blur/trainings', body).then(function (started) {
      follow(started.workflowId, started.version);
      loadRuns();
    }).catch(function (e) {
      error.textContent = e.message;
    }).then(function () { button.disabled = false; });
  });

  function follow(workflowId, version) {
    following = workflowId;
    pollFailures = 0;
    if (pollTimer) clearTimeout(pollTimer);
    $('train-progress').hidden = false;
    $('train-run').textContent = (version || workflowId.replace(/^blur-train-/, '')) + ' (' + workflowId + ')';
    $('train-progress').setAttribute('data-workflow-id', workflowId);
    $('train-state').textContent = 'starting';
    $('train-state').setAttribute('data-state', 'starting');
    ['train-features', 'train-epoch', 'train-last', 'train-error', 'train-note'].forEach(function (id) { $(id).textContent = ''; });
    $('train-result').hidden = true;
    $('train-cancel').hidden = false;
    $('train-cancel').disabled = false;
    $('train-bar').value = 0;
    drawChart($('train-chart'), [], 0);
    poll();
  }

  function poll() {
    var id = following;
    if (!id) return;
    api('GET', '/api/blur/trainings/' + encodeURIComponent(id)).then(function (p) {
      if (id !== following) return;
      pollFailures = 0;
      $('train-note').textContent = '';
      renderProgress(p);
      if (FINAL[p.state]) {
        $('train-cancel').hidden = true;
        loadRuns();
        if (p.state === 'completed') loadModels();
      } else {
        pollTimer = setTimeout(poll, 1000);
      }
    }).catch(function (e) {
      if (id !== following) return;
      pollFailures++;
      if (e.status === 404 || pollFailures > 30) {
        $('train-error').textContent = e.message;
        $('train-cancel').hidden = true;
        return;
      }
      $('train-note').textContent = 'Waiting for the workflow: ' + e.message;
      pollTimer = setTimeout(poll, 1000);
    });
  }

  function renderProgress(p) {
    var state = $('train-state');
    state.textContent = p.state;
    state.setAttribute('data-state', p.state);
    $('train-features').textContent = p.images ? (p.featuresDone + ' / ' + p.images + ' features extracted' + (p.featuresFailed ? ', ' + p.featuresFailed + ' unreadable' : '')) : 'reading the dataset…';
    $('train-epoch').textContent = p.epoch + ' / ' + p.epochs;
    var last = p.history && p.history.length ? p.history[p.history.length - 1] : null;
    $('train-last').textContent = !last
      ? ''
      : last.refit
        ? 'final fit on training + validation · train loss ' + num(last.trainLoss, 4)
        : 'train loss ' + num(last.trainLoss, 4) + ' · validation loss ' + num(last.valLoss, 4) + ' · validation accuracy ' + pct(last.valAccuracy);
    var fraction = 0;
    if (p.state === 'extracting features' && p.images) fraction = 0.3 * p.featuresDone / p.images;
    else if (p.state === 'training') fraction = 0.3 + 0.65 * (p.epochs ? p.epoch / p.epochs : 0);
    else if (p.state === 'publishing') fraction = 0.97;
    else if (p.state === 'completed') fraction = 1;
    $('train-bar').value = fraction;
    drawChart($('train-chart'), p.history, p.epochs);
    $('train-error').textContent = p.error || '';
    var result = $('train-result');
    if (p.state === 'completed' && p.model) {
      var m = p.model, e = m.metrics;
      clear(result).appendChild(h('dl', { class: 'facts' }, [
        h('dt', { text: 'Model' }), h('dd', { id: 'train-result-version', text: m.version + (m.isDefault ? ' (default)' : '') }),
        h('dt', { text: 'Accuracy (3 classes)' }), h('dd', { id: 'train-result-accuracy', 'data-value': e.accuracy, text: pct(e.accuracy) }),
        h('dt', { text: 'Blurred / sharp accuracy' }), h('dd', { id: 'train-result-binary', 'data-value': e.binaryAccuracy, text: pct(e.binaryAccuracy) + ' at threshold ' + e.threshold + ' %' }),
        h('dt', { text: 'Evaluated on' }), h('dd', { text: e.images + ' ' + (e.evaluatedOn || 'test') + ' images' }),
        h('dt', { text: 'Training' }), h('dd', { text: duration(m.trainingMs) + ' on ' + m.backend + ', ' + m.images + ' images' })
      ]));
      result.hidden = false;
    } else {
      result.hidden = true;
    }
  }

  $('train-cancel').addEventListener('click', function () {
    var id = following;
    if (!id || !window.confirm('Cancel training ' + id + '? Nothing of it is kept.')) return;
    $('train-cancel').disabled = true;
    api('POST', '/api/blur/trainings/' + encodeURIComponent(id) + '/cancel').then(function () {
      $('train-note').textContent = 'Cancelling…';
    }).catch(function (e) {
      $('train-error').textContent = e.message;
      $('train-cancel').disabled = false;
    });
  });

  function loadRuns() {
    return api('GET', '/api/blur/trainings').then(function (data) {
      var tbody = clear(document.querySelector('#runs-table tbody'));
      data.runs.forEach(function (run) {
        tbody.appendChild(h('tr', { 'data-workflow-id': run.workflowId }, [
          h('td', { text: run.version }),
          h('td', { 'data-col': 'status', text: run.status.toLowerCase() }),
          h('td', { text: when(run.startTime) }),
          h('td', {}, [h('button', { type: 'button', class: 'secondary', 'data-action': 'follow', 'aria-label': 'Show progress of ' + run.version, text: 'Show',
            onclick: function () { follow(run.workflowId, run.version); } })])
        ]));
      });
      $('runs-empty').hidden = data.runs.length > 0;
      $('runs-table').hidden = data.runs.length === 0;
      return data.runs;
    }).catch(function (e) {
      $('runs-empty').hidden = false;
      $('runs-empty').textContent = 'Could not list trainings: ' + e.message;
      return [];
    });
  }

  // ---------------------------------------------------------------- Models
  var shownModel = null;

  function loadModels() {
    return api('GET', '/api/blur/models').then(function (data) {
      $('models-error').textContent = '';
      renderModels(data.models);
      fillModelSelect(data.models);
      return data.models;
    }).catch(function (e) {
      $('models-error').textContent = 'Could not list models: ' + e.message;
    });
  }

  function renderModels(models) {
    var tbody = clear(document.querySelector('#models-table tbody'));
    models.forEach(function (m) {
      tbody.appendChild(h('tr', { 'data-version': m.version, class: m.isDefault ? 'is-default' : null }, [
        h('th', { scope: 'row', 'data-col': 'version', text: m.version }),
        h('td', { 'data-col': 'created', text: when(m.createdAt) }),
        h('td', { 'data-col': 'default' }, m.isDefault ? [h('span', { class: 'badge', text: 'default' })] : []),
        h('td', { class: 'num', 'data-col': 'images', text: m.images }),
        h('td', { class: 'num', 'data-col': 'accuracy', 'data-value': m.accuracy, text: pct(m.accuracy) }),
        h('td', { class: 'num', 'data-col': 'binary-accuracy', 'data-value': m.binaryAccuracy, text: pct(m.binaryAccuracy) }),
        h('td', { class: 'num', 'data-col': 'epochs', text: m.epochs }),
        h('td', { class: 'num', 'data-col': 'training-time', 'data-value': m.trainingMs, text: duration(m.trainingMs) }),
        h('td', { 'data-col': 'backend', text: m.backend }),
        h('td', { class: 'params', 'data-col': 'params', text: paramsText(m.params) }),
        h('td', {}, [h('div', { class: 'actions' }, [
          h('button', { type: 'button', class: 'secondary', 'data-action': 'details', 'aria-label': 'Details of ' + m.version, text: 'Details', onclick: function () { showModel(m.version); } }),
          h('button', { type: 'button', class: 'secondary', 'data-action': 'default', 'aria-label': 'Make ' + m.version + ' the default model', text: 'Set default', disabled: m.isDefault, onclick: function () { setDefault(m.version); } }),
          h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': 'Delete ' + m.version, text: 'Delete', onclick: function () { deleteModel(m.version); } })
        ])])
      ]));
    });
    $('models-empty').hidden = models.length > 0;
  }

  function fillModelSelect(models) {
    var select = $('predict-model');
    var keep = select.value;
    clear(select);
    var def = models.filter(function (m) { return m.isDefault; })[0];
    select.appendChild(h('option', { value: '', text: def ? 'Default model (' + def.version + ')' : 'Default model (none yet)' }));
    models.forEach(function (m) { select.appendChild(h('option', { value: m.version, text: m.version + ' · ' + pct(m.accuracy) })); });
    select.value = models.some(function (m) { return m.version === keep; }) ? keep : '';
  }

  function showModel(version) {
    return api('GET', '/api/blur/models/' + encodeURIComponent(version)).then(function (m) {
      shownModel = version;
      $('model-details-version').textContent = m.version + (m.isDefault ? ' (default)' : '');
      var e = m.metrics;
      var facts = clear($('model-facts'));
      var split = m.dataset && m.dataset.counts ? ['train', 'validation', 'test'].map(function (s) {
        var c = m.dataset.counts[s] || {};
        return s + ' ' + CLASSES.reduce(function (a, k) { return a + (c[k] || 0); }, 0);
      }).join(' · ') : '';
      [
        ['Created (UTC)', when(m.createdAt)],
        ['Dataset', m.dataset ? m.dataset.url : ''],
        ['Images', (m.dataset ? m.dataset.images : '') + (split ? ' (' + split + ')' : '')],
        ['Accuracy (3 classes)', pct(e.accuracy) + ' on ' + e.images + ' ' + (e.evaluatedOn || 'test') + ' images'],
        ['Blurred / sharp accuracy', pct(e.binaryAccuracy) + ' at threshold ' + e.threshold + ' %'],
        ['Epochs', m.training ? (m.training.epochs + ' (best on validation ' + m.training.bestEpoch + ')') : ''],
        ['Training time', m.training ? duration(m.training.ms) : ''],
        ['Backend', m.backend],
        ['Calibration temperature', m.temperature],
        ['Parameters', paramsText(m.params)]
      ].forEach(function (f) { facts.appendChild(h('dt', { text: f[0] })); facts.appendChild(h('dd', { text: f[1] })); });

      var perClass = clear(document.querySelector('#model-perclass tbody'));
      CLASSES.forEach(function (c) {
        var k = e.perClass[c];
        perClass.appendChild(h('tr', { 'data-class': c }, [
          h('th', { scope: 'row', text: LABELS[c] }),
          h('td', { class: 'num', 'data-col': 'precision', 'data-value': k.precision, text: pct(k.precision) }),
          h('td', { class: 'num', 'data-col': 'recall', 'data-value': k.recall, text: pct(k.recall) }),
          h('td', { class: 'num', 'data-col': 'f1', 'data-value': k.f1, text: pct(k.f1) }),
          h('td', { class: 'num', 'data-col': 'support', text: k.support })
        ]));
      });

      var table = $('model-confusion');
      var head = clear(table.querySelector('thead'));
      head.appendChild(h('tr', {}, [h('th', { scope: 'col', text: 'true \\ predicted' })].concat(CLASSES.map(function (c) { return h('th', { scope: 'col', text: LABELS[c] }); }))));
      var body = clear(table.querySelector('tbody'));
      e.confusion.forEach(function (row, i) {
        body.appendChild(h('tr', { 'data-true': CLASSES[i] }, [h('th', { scope: 'row', text: LABELS[CLASSES[i]] })].concat(row.map(function (count, j) {
          return h('td', { 'data-pred': CLASSES[j], class: i === j ? 'diag' : null, text: count });
        }))));
      });
      drawChart($('model-chart'), m.training ? m.training.history : [], m.training ? m.training.epochs : 0);
      $('model-details').hidden = false;
    }).catch(function (e) {
      $('models-error').textContent = e.message;
    });
  }

  $('model-details-close').addEventListener('click', function () { $('model-details').hidden = true; shownModel = null; });
  $('models-refresh').addEventListener('click', function () { loadModels(); });

  function setDefault(version) {
    api('POST', '/api/blur/models/' + encodeURIComponent(version) + '/default').then(function () {
      return loadModels();
    }).then(function () { if (shownModel === version) showModel(version); }).catch(function (e) { $('models-error').textContent = e.message; });
  }

  function deleteModel(version) {
    if (!window.confirm('Delete blur model ' + version + '? Its files are removed from the registry.')) return;
    api('DELETE', '/api/blur/models/' + encodeURIComponent(version)).then(function () {
      if (shownModel === version) { $('model-details').hidden = true; shownModel = null; }
      return loadModels();
    }).catch(function (e) { $('models-error').textContent = e.message; });
  }

  // ---------------------------------------------------------------- Predict
  var previewUrl = null;
  $('predict-preview').addEventListener('error', function () { $('predict-preview').hidden = true; });
  $('predict-file').addEventListener('change', function () {
    var file = $('predict-file').files[0];
    var img = $('predict-preview');
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = file ? URL.createObjectURL(file) : null;
    if (previewUrl) img.src = previewUrl;
    img.hidden = !file;
    $('predict-result').hidden = true;
    $('predict-error').textContent = '';
  });

  $('predict-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var file = $('predict-file').files[0];
    var error = $('predict-error');
    error.textContent = '';
    if (!file) { error.textContent = 'Choose an image first.'; return; }
    var query = new URLSearchParams({ name: file.name });
    var model = $('predict-model').value;
    if (model) query.set('model', model);
    var threshold = $('predict-threshold').value.trim();
    if (threshold !== '') query.set('threshold', threshold);
    var button = $('predict-submit');
    button.disabled = true;
    $('predict-result').hidden = true;
    $('predict-status').textContent = 'Classifying…';
    api('POST', '/api/blur/predictions?' + query.toString(), file, file.type || 'application/octet-stream').then(function (r) {
      renderPrediction(r, file.name);
    }).catch(function (e) {
      error.textContent = e.message;
    }).then(function () {
      button.disabled = false;
      $('predict-status').textContent = '';
    });
  });

  function renderPrediction(r, fileName) {
    var p = r.prediction;
    var verdict = $('predict-verdict');
    verdict.textContent = p.blurred ? 'Blurred' : 'Not blurred';
    verdict.setAttribute('data-blurred', String(p.blurred));
    $('predict-blur-percent').textContent = p.blurPercent.toFixed(1) + ' %';
    $('predict-blur-percent').setAttribute('data-value', p.blurPercent);
    $('predict-class').textContent = LABELS[p.class] || p.class;
    $('predict-class').setAttribute('data-class', p.class);
    $('predict-threshold-used').textContent = p.threshold + ' %';
    $('predict-model-used').textContent = r.model;
    $('predict-file-name').textContent = fileName;
    var bars = clear($('predict-probabilities'));
    CLASSES.forEach(function (c) {
      var v = p.probabilities[c];
      var fill = h('div', {});
      fill.style.width = Math.max(0, Math.min(100, v * 100)).toFixed(1) + '%';
      bars.appendChild(h('span', { id: 'predict-label-' + c, text: LABELS[c] }));
      bars.appendChild(h('div', { class: 'bar', role: 'img', 'aria-label': LABELS[c] + ' ' + pct(v) }, [fill]));
      bars.appendChild(h('span', { class: 'num', id: 'predict-prob-' + c, 'data-value': v, text: pct(v) }));
    });
    $('predict-result').hidden = false;
  }

  // ---------------------------------------------------------------- Start
  loadModels();
  loadRuns().then(function (runs) {
    var running = runs.filter(function (r) { return r.status === 'RUNNING'; })[0];
    if (running && !following) follow(running.workflowId, running.version);
  });
})();
</script>
</body>
</html>
`;
