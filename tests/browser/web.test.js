// Browser tests of web/: real headless Debian Chromium (playwright-core), the page served by a
// static server on 127.0.0.1, real ggwave (npm, the emscripten build) loaded into the same page,
// and a fake microphone playing a WAV made by our CLI. Needs scripts/build-web and
// `cargo build --release` first (scripts/test.d/40-web.sh does both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, serveComponent, launch, openPage, floatWav, pcm16Wav, readWav, ROOT, SCREENSHOTS } from './harness.js';

const FSK = process.env.FSK_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'release', 'fsk');
const work = mkdtempSync(path.join(tmpdir(), 'fsk-web-test-'));
const metrics = {};
let server;
let browser;
let page;
let pageErrors;

function metric(name, value) {
  metrics[name] = value;
  console.log(`METRIC ${name} ${value}`);
}

// A WAV made by our CLI, with `before` and `after` seconds of silence around it.
function cliWav(name, args, before, after) {
  const raw = path.join(work, `${name}-raw.wav`);
  execFileSync(FSK, ['encode', ...args, '-o', raw], { timeout: 60_000 });
  const w = readWav(readFileSync(raw));
  const pad = (s) => new Float32Array(Math.round(s * w.rate));
  const all = new Float32Array(pad(before).length + w.samples.length + pad(after).length);
  all.set(w.samples, pad(before).length);
  const file = path.join(work, `${name}.wav`);
  writeFileSync(file, pcm16Wav(all, w.rate));
  return { file, seconds: all.length / w.rate };
}

async function setCheck(id, want) {
  if ((await page.isChecked(id)) === want) return;
  // The option lives in a closed <details>: open it, set, close it again.
  await page.$eval(id, (el) => { el.closest('details').open = true; });
  await page.setChecked(id, want);
  await page.$eval(id, (el) => { el.closest('details').open = false; });
}

async function setProtocol(protocol, fixed) {
  await page.selectOption('#protocol', String(protocol));
  for (const side of ['send', 'recv']) {
    await setCheck(`#${side}-fixed-on`, fixed !== undefined);
    if (fixed !== undefined) await page.$eval(`#${side}-fixed`, (el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }, String(fixed));
  }
}

async function downloadWav() {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#download')]);
  const dir = mkdtempSync(path.join(work, 'dl-'));
  const file = path.join(dir, download.suggestedFilename());
  await download.saveAs(file);
  return { file, name: download.suggestedFilename(), bytes: readFileSync(file) };
}

// Uploads a file to "Decode a file" and waits for the page to finish with it.
async function decodeInPage(file) {
  await page.evaluate(() => { document.getElementById('decode-status').textContent = ''; });
  await page.setInputFiles('#decode-file', file);
  await page.waitForFunction(() => /decoded in|:/.test(document.getElementById('decode-status').textContent)
    && !/Decoding/.test(document.getElementById('decode-status').textContent), null, { timeout: 60_000 });
  return page.evaluate(() => ({
    status: document.getElementById('decode-status').textContent,
    ms: Number(document.getElementById('decode-status').dataset.ms),
    messages: [...document.querySelectorAll('#decode-messages li')].map((li) => ({
      body: li.querySelector('.body').textContent,
      meta: li.querySelector('.meta').textContent,
      protocol: Number(li.dataset.protocol),
      snrDb: Number(li.dataset.snrDb),
      correctedBytes: Number(li.dataset.correctedBytes),
    })),
    diagnosis: document.getElementById('decode-diagnosis').hidden ? null : document.getElementById('decode-diagnosis').textContent,
  }));
}

async function loadGgwave() {
  await page.addScriptTag({ url: '/__test__/ggwave.js' });
  await page.evaluate(async () => {
    const gg = await window.ggwave_factory();
    gg.disableLog();
    const p = gg.getDefaultParameters();
    p.sampleRateInp = 48000;
    p.sampleRateOut = 48000;
    p.sampleRate = 48000;
    p.sampleFormatInp = gg.SampleFormat.GGWAVE_SAMPLE_FORMAT_F32;
    p.sampleFormatOut = gg.SampleFormat.GGWAVE_SAMPLE_FORMAT_F32;
    window.gg = gg;
    window.ggParams = p;
  });
}

before(async () => {
  assert.ok(existsSync(FSK), `${FSK} is missing: run cargo build --release`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await serve();
  browser = await launch();
  ({ page, errors: pageErrors } = await openPage(browser.context, server.url));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
  writeFileSync(path.join(work, 'metrics.json'), JSON.stringify(metrics, null, 2));
  console.log(`metrics: ${JSON.stringify(metrics)}`);
});

test('wasm + JS stay under the 250 KB gzipped budget', () => {
  const files = ['pkg/fskhttp_bg.wasm', 'pkg/fskhttp.js', 'app.js', 'spectrogram.js', 'worker.js', 'worklet.js'];
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const b = readFileSync(path.join(ROOT, 'web', f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  const wasm = readFileSync(path.join(ROOT, 'web', 'pkg', 'fskhttp_bg.wasm'));
  metric('wasm_bytes', wasm.length);
  metric('wasm_gzip_bytes', gzipSync(wasm, { level: 9 }).length);
  metric('wasm_and_js_gzip_bytes', gz);
  metric('wasm_and_js_bytes', raw);
  assert.ok(gz < 250 * 1024, `${gz} bytes gzipped`);
});

test('the page loads everything from its own origin and lists the twelve protocols', async () => {
  const { context, close } = await launch();
  try {
    const p = context.pages()[0] ?? (await context.newPage());
    const foreign = [];
    p.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
    await p.goto(server.url);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    assert.deepEqual(foreign, []);
    const options = await p.$$eval('#protocol option', (os) => os.map((o) => o.textContent));
    assert.equal(options.length, 12);
    assert.match(options[1], /^1 · Fast — [\d.]+ B\/s$/);
    // The speed and duration are shown before sending.
    await p.fill('#text', 'Hello World');
    assert.match(await p.textContent('#plan'), /11 bytes in [\d.]+ s · Fast: [\d.]+ bytes\/s/);
    await p.selectOption('#protocol', '10');
    assert.equal(await p.isChecked('#send-fixed-on'), true);
  } finally {
    await close();
  }
});

test('Play drives the spectrogram of what is played; Stop stops it', async () => {
  await setProtocol(1);
  await page.fill('#text', 'Hello from fskhttp!');
  await page.click('#play');
  await page.waitForFunction(() => /Playing/.test(document.getElementById('send-status').textContent), null, { timeout: 10_000 });
  // Tones reach the spectrogram: bright pixels appear in the audible band.
  await page.waitForFunction(() => {
    const c = document.querySelector('#play-spec canvas.spec');
    const d = c.getContext('2d').getImageData(c.width - 40, 0, 40, c.height).data;
    let bright = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 200) bright++;
    return bright > 20;
  }, null, { timeout: 10_000, polling: 100 });
  await page.waitForFunction(() => /Played/.test(document.getElementById('send-status').textContent), null, { timeout: 20_000 });
  await page.locator('#send').screenshot({ path: path.join(SCREENSHOTS, 'send.png') });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'page.png'), fullPage: true });
  await page.click('#play');
  await page.waitForFunction(() => !document.getElementById('stop').disabled, null, { timeout: 10_000 });
  await page.click('#stop');
  assert.equal(await page.textContent('#send-status'), 'Stopped.');
});

for (const [protocol, fixed, name] of [[0, undefined, 'Normal'], [2, undefined, 'Fastest'], [4, undefined, '[U] Fast'], [7, undefined, '[DT] Fast'], [10, 8, '[MT] Fast']]) {
  test(`encode → download → upload → decode round trip, protocol ${protocol} (${name})${fixed ? `, fixed length ${fixed}` : ''}`, async () => {
    const text = fixed ? 'mt fast!'.slice(0, fixed) : `round trip ${protocol}`;
    await setProtocol(protocol, fixed);
    await page.fill('#text', text);
    const planText = await page.textContent('#plan');
    const seconds = Number(/in ([\d.]+) s/.exec(planText)[1]);
    const dl = await downloadWav();
    const w = readWav(dl.bytes);
    assert.equal(w.rate, 48000);
    assert.equal(w.bits, 16);
    assert.ok(Math.abs(w.samples.length / w.rate - seconds) < 0.02, `${w.samples.length / w.rate} s vs plan ${seconds} s`);
    const r = await decodeInPage(dl.file);
    assert.deepEqual(r.messages.map((m) => [m.body, m.protocol]), [[text, protocol]], r.status);
    assert.ok(r.messages[0].meta.includes(name));
    if (protocol === 0) await page.locator('#decode').screenshot({ path: path.join(SCREENSHOTS, 'decode.png') });
  });
}

test('binary files are sent and shown as hex, with a copy button', async () => {
  await setProtocol(2);
  const bin = path.join(work, 'blob.bin');
  writeFileSync(bin, Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x01]));
  await page.setInputFiles('#send-file', bin);
  await page.waitForFunction(() => /6 bytes/.test(document.getElementById('plan').textContent), null, { timeout: 10_000 });
  const dl = await downloadWav();
  await page.click('#send-file-clear');
  const r = await decodeInPage(dl.file);
  assert.deepEqual(r.messages.map((m) => m.body), ['00ff10807f01']);
  assert.match(r.messages[0].meta, /binary/);
  await page.click('#decode-messages li .copy');
  await page.waitForFunction(() => document.querySelector('#decode-messages li .copy').textContent === 'Copied', null, { timeout: 5_000 });
});

test('a WAV dropped on the drop zone is decoded', async () => {
  await setProtocol(1);
  await page.fill('#text', 'dropped');
  const dl = await downloadWav();
  await page.evaluate(() => { document.getElementById('decode-status').textContent = ''; });
  const dt = await page.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const t = new DataTransfer();
    t.items.add(new File([bytes], 'dropped.wav', { type: 'audio/wav' }));
    return t;
  }, dl.bytes.toString('base64'));
  await page.dispatchEvent('#drop', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
  await page.waitForFunction(() => /decoded in/.test(document.getElementById('decode-status').textContent), null, { timeout: 60_000 });
  assert.deepEqual(await page.$$eval('#decode-messages li .body', (els) => els.map((e) => e.textContent)), ['dropped']);
  assert.match(await page.textContent('#decode-status'), /^dropped\.wav: 48000 Hz/);
});

test('a long text is framed: the plan shows pieces and total time, the decoded file one payload', async () => {
  await setProtocol(2);
  const text = 'framed in the browser, '.repeat(18); // 414 bytes: 4 data pieces + 1 parity
  await page.fill('#text', text);
  await page.waitForFunction(() => /4 pieces \+ 1 parity, [\d.]+ s in total/.test(document.getElementById('plan').textContent), null, { timeout: 10_000 });
  assert.equal(await page.getAttribute('#plan', 'data-transmissions'), '5');
  const dl = await downloadWav();
  const got = await decodeInPage(dl.file);
  // The five transmissions are shown as the one payload they make up.
  assert.equal(got.messages.length, 1, JSON.stringify(got.messages));
  assert.equal(got.messages[0].body, text);
  assert.match(got.messages[0].meta, /4 pieces/);
  assert.equal(await page.getAttribute('#decode-messages li', 'data-complete'), 'true');
  await page.fill('#text', 'short');
});

test('a file that is not a WAV gets a clear error', async () => {
  const file = path.join(work, 'notes.wav');
  writeFileSync(file, 'these are not samples');
  await page.setInputFiles('#decode-file', file);
  await page.waitForSelector('#decode-status.error', { timeout: 30_000 });
  assert.match(await page.textContent('#decode-status'), /^notes\.wav: .+/);
  assert.equal(await page.$$eval('#decode-messages li', (l) => l.length), 0);
});

test('the page decodes what real ggwave (npm, emscripten) encodes', async () => {
  await loadGgwave();
  await setProtocol(0);
  for (const [protocol, key] of [[1, 'GGWAVE_PROTOCOL_AUDIBLE_FAST'], [2, 'GGWAVE_PROTOCOL_AUDIBLE_FASTEST'], [5, 'GGWAVE_PROTOCOL_ULTRASOUND_FASTEST']]) {
    const text = `from ggwave ${protocol}`;
    const samples = await page.evaluate(({ text, key }) => {
      const inst = window.gg.init(window.ggParams);
      const view = window.gg.encode(inst, text, window.gg.ProtocolId[key], 25);
      const bytes = new Int8Array(view); // copy out of ggwave's memory
      window.gg.free(inst);
      return Array.from(new Float32Array(bytes.buffer));
    }, { text, key });
    assert.ok(samples.length > 48000 * 0.5, `ggwave made ${samples.length} samples`);
    const file = path.join(work, `ggwave-${protocol}.wav`);
    writeFileSync(file, floatWav(samples, 48000));
    const r = await decodeInPage(file);
    assert.deepEqual(r.messages.map((m) => [m.body, m.protocol]), [[text, protocol]], r.status);
  }
});

test('real ggwave (npm, emscripten) decodes what the page encodes', async () => {
  await loadGgwave();
  for (const protocol of [0, 1, 2, 4]) {
    const text = `to ggwave ${protocol}`;
    await setProtocol(protocol);
    await page.fill('#text', text);
    const dl = await downloadWav();
    const w = readWav(dl.bytes);
    const got = await page.evaluate((samples) => {
      const inst = window.gg.init(window.ggParams);
      const f = new Float32Array(samples.length + 48000); // and a second of silence
      f.set(samples);
      const out = [];
      for (let at = 0; at < f.length; at += 1024) {
        const chunk = new Int8Array(f.buffer, at * 4, Math.min(1024, f.length - at) * 4);
        const res = window.gg.decode(inst, chunk);
        if (res && res.length > 0) out.push(new TextDecoder().decode(new Uint8Array(res)));
      }
      window.gg.free(inst);
      return out;
    }, Array.from(w.samples));
    assert.deepEqual(got, [text], `protocol ${protocol}`);
  }
});

test('decodes a 10 s recording in the page (timed)', async () => {
  const rec = cliWav('ten-seconds', ['-p', '0', 'ten seconds of sound, decoded in the page'], 1.0, 0);
  const long = readWav(readFileSync(rec.file));
  const ten = new Float32Array(10 * long.rate);
  ten.set(long.samples.subarray(0, ten.length));
  const file = path.join(work, 'ten.wav');
  writeFileSync(file, pcm16Wav(ten, long.rate));
  await setProtocol(0);
  const runs = [];
  const walls = [];
  let r;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    r = await decodeInPage(file);
    walls.push(performance.now() - t0);
    runs.push(r.ms);
  }
  assert.deepEqual(r.messages.map((m) => m.body), ['ten seconds of sound, decoded in the page']);
  // Quality next to the message, and no diagnosis.
  assert.ok(r.messages[0].snrDb > 30, `SNR ${r.messages[0].snrDb}`);
  assert.equal(r.messages[0].correctedBytes, 0);
  assert.match(r.messages[0].meta, /SNR \d+\.\d dB · drift -?\d+ ppm · 0 bytes corrected/);
  assert.equal(r.diagnosis, null);
  const median = (xs) => xs.sort((a, b) => a - b)[1];
  // In the worker (decodeWav only), and from choosing the file to the message on screen.
  metric('decode_10s_worker_ms_median', Math.round(median(runs)));
  metric('decode_10s_choose_to_shown_ms_median', Math.round(median(walls)));
  assert.ok(median(runs) < 10_000, `decoding 10 s took ${median(runs)} ms`);
});

test('a file with nothing in it says why', async () => {
  const file = path.join(work, 'silence.wav');
  writeFileSync(file, pcm16Wav(new Float32Array(48000), 48000));
  const r = await decodeInPage(file);
  assert.deepEqual(r.messages, []);
  assert.match(r.diagnosis, /^Why nothing was decoded: the recording is silent/);
});

test('listens to a fake microphone through the AudioWorklet and decodes live', async () => {
  // The fake device loops the file (and reports 44.1 kHz stereo): one message per loop.
  const mic = cliWav('fake-mic', ['-p', '1', '-s', '44100', 'live from the fake mic'], 1.5, 2.5);
  const { context, close } = await launch([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${mic.file}`,
  ]);
  try {
    const { page: p, errors } = await openPage(context, server.url);
    await p.click('#listen-start');
    await p.waitForFunction(() => /Listening/.test(document.getElementById('listen-status').textContent), null, { timeout: 20_000 });
    // The level meter moves.
    await p.waitForFunction(() => parseFloat(document.getElementById('meter-bar').style.width) > 5, null, { timeout: 20_000, polling: 50 });
    // Two loops of the file: two messages, each reported once.
    await p.waitForFunction(() => document.querySelectorAll('#listen-messages li').length >= 2, null, { timeout: 90_000 });
    const got = await p.$$eval('#listen-messages li', (lis) => lis.map((li) => ({
      body: li.querySelector('.body').textContent,
      protocol: Number(li.dataset.protocol),
      delay: Number(li.dataset.delay),
      snrDb: Number(li.dataset.snrDb),
      driftPpm: Number(li.dataset.driftPpm),
    })));
    for (const m of got.slice(0, 2)) {
      assert.equal(m.body, 'live from the fake mic');
      assert.equal(m.protocol, 1);
      assert.ok(m.delay < 1.5, `shown ${m.delay} s after the end`);
      assert.ok(m.snrDb > 10, `SNR ${m.snrDb}`);
      assert.ok(Math.abs(m.driftPpm) < 2000, `drift ${m.driftPpm}`);
    }
    // Audio time received after the nominal end of the transmission (its end marker) until the
    // message was reported, plus the receiver's time: negative = found before the marker ended.
    metric('live_delay_s', got.slice(0, 2).map((m) => m.delay.toFixed(2)).join(','));
    await p.waitForFunction(() => document.body.dataset.liveLoad !== undefined, null, { timeout: 20_000 });
    metric('live_receiver_load_pct', await p.evaluate(() => document.body.dataset.liveLoad));
    metric('live_max_push_ms', await p.evaluate(() => document.body.dataset.liveMaxPushMs));
    // The spectrogram marks where the message was found.
    await p.locator('#listen').screenshot({ path: path.join(SCREENSHOTS, 'listen.png') });
    await p.click('#listen-stop');
    assert.equal(await p.textContent('#listen-status'), 'Stopped.');
    assert.deepEqual(errors.map(String), []);
  } finally {
    await close();
  }
});

test('the live receiver shows piece-by-piece progress, then the framed payload', async () => {
  const text = 'heard piece by piece from the fake mic; '.repeat(8); // 320 bytes: 3 data + 1 parity
  const mic = cliWav('fake-mic-framed', ['-p', '2', '-s', '44100', text], 1.5, 2.5);
  const { context, close } = await launch([
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${mic.file}`,
  ]);
  try {
    const { page: p, errors } = await openPage(context, server.url);
    await p.click('#listen-start');
    await p.waitForFunction(() => /piece \d of 4/.test(document.getElementById('listen-progress').textContent), null, { timeout: 60_000, polling: 50 });
    await p.waitForSelector('#listen-messages li.payload[data-complete="true"]', { timeout: 90_000 });
    const body = await p.textContent('#listen-messages li.payload .body');
    assert.equal(body, text);
    // The pieces themselves are not listed as messages.
    assert.equal(await p.$$eval('#listen-messages li:not(.payload)', (l) => l.length), 0);
    await p.click('#listen-stop');
    assert.deepEqual(errors.map(String), []);
  } finally {
    await close();
  }
});

test('a clear message when microphone permission is denied', async () => {
  const { context, close } = await launch(['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
  try {
    const { page: p } = await openPage(context, server.url);
    await p.click('#listen-start');
    await p.waitForSelector('#listen-status.error', { timeout: 20_000 });
    assert.match(await p.textContent('#listen-status'), /Microphone access was denied/);
    assert.equal(await p.isDisabled('#listen-start'), false);
    await p.locator('#listen').screenshot({ path: path.join(SCREENSHOTS, 'mic-denied.png') });
  } finally {
    await close();
  }
});

test('a clear message when no microphone exists', async () => {
  const { context, close } = await launch(['--use-fake-ui-for-media-stream']);
  try {
    const { page: p } = await openPage(context, server.url);
    // This machine (like CI's) has no capture device, and without the fake-device flag Chromium
    // offers none: getUserMedia fails with NotFoundError.
    await p.click('#listen-start');
    await p.waitForSelector('#listen-status.error', { timeout: 20_000 });
    assert.match(await p.textContent('#listen-status'), /No microphone found/);
  } finally {
    await close();
  }
});

test('the Spin component serves the page at / next to the API', async () => {
  const svc = await serveComponent();
  const { context, close } = await launch();
  try {
    const p = context.pages()[0] ?? (await context.newPage());
    const foreign = [];
    const problems = [];
    p.on('request', (r) => { if (!r.url().startsWith(svc.url) && !/^(data|blob):/.test(r.url())) foreign.push(r.url()); });
    p.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    p.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.url()}: ${r.status()}`); });
    p.on('pageerror', (e) => problems.push(String(e)));
    await p.goto(svc.url);
    await p.waitForSelector('body[data-ready="true"]', { timeout: 60_000 }).catch(async (e) => {
      throw new Error(`${e.message}; status: ${await p.textContent('#load-status')}; ${problems.join('; ')}`);
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(foreign, []);
    // A WAV made by the API, decoded by the page the same component served.
    const api = await fetch(`${svc.url}encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the API', protocol: 2 }),
    });
    assert.equal(api.status, 200);
    const file = path.join(work, 'from-api.wav');
    writeFileSync(file, Buffer.from(await api.arrayBuffer()));
    await p.setInputFiles('#decode-file', file);
    await p.waitForSelector('#decode-messages li', { timeout: 60_000 });
    assert.equal(await p.textContent('#decode-messages li .body'), 'from the API');
    // And the page's own WAV, decoded by the API.
    await p.fill('#text', 'from the page');
    const [download] = await Promise.all([p.waitForEvent('download', { timeout: 30_000 }), p.click('#download')]);
    const wav = readFileSync(await download.path());
    const form = new FormData();
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'page.wav');
    const dec = await (await fetch(`${svc.url}decode`, { method: 'POST', body: form })).json();
    assert.equal(dec.decoded_text, 'from the page');
  } finally {
    await close();
    await svc.close();
  }
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors.map(String), []);
});
