// Test harness: a tiny static server for web/ on 127.0.0.1 (plus the npm ggwave build under
// /__test__/), real headless Debian Chromium through playwright-core, WAV helpers.
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const WEB = path.join(ROOT, 'web');
export const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
};

const EXTRA = {
  '/__test__/ggwave.js': path.join(here, 'node_modules', 'ggwave', 'ggwave.js'),
};

// Serves web/ (flat files and pkg/), like any static server would. Resolves once listening.
export async function serve() {
  if (!existsSync(path.join(WEB, 'pkg', 'fskhttp_bg.wasm'))) {
    throw new Error('web/pkg is missing: run scripts/build-web first');
  }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = EXTRA[url.pathname];
    if (!file) {
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      file = path.resolve(WEB, rel);
      if (!file.startsWith(WEB + path.sep)) {
        res.writeHead(403).end();
        return;
      }
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

// A fresh persistent Chromium profile with the flags CI needs; `extraArgs` add fake devices.
export async function launch(extraArgs = [], options = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'fsk-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
    ...options,
  });
  const close = async () => {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { context, close };
}

// Opens the page and waits until the modem is loaded.
export async function openPage(context, url) {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}

// Minimal WAV writers (mono 32-bit float, mono 16-bit PCM) and reader (16-bit PCM or 32-bit float, mono).
function wavFile(data, rate, tag, bytesPerSample) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(tag, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * bytesPerSample, 28);
  h.writeUInt16LE(bytesPerSample, 32);
  h.writeUInt16LE(8 * bytesPerSample, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export function floatWav(samples, rate) {
  const data = Buffer.alloc(samples.length * 4);
  for (let i = 0; i < samples.length; i++) data.writeFloatLE(samples[i], i * 4);
  return wavFile(data, rate, 3, 4);
}

export function pcm16Wav(samples, rate) {
  const data = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), i * 2);
  }
  return wavFile(data, rate, 1, 2);
}

export function readWav(buf) {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV');
  let off = 12;
  let fmt = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(off + 8), channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      const body = buf.subarray(off + 8, off + 8 + size);
      const step = fmt.bits / 8;
      const n = Math.floor(body.length / step / fmt.channels);
      const samples = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const at = i * step * fmt.channels;
        samples[i] = fmt.bits === 16 ? body.readInt16LE(at) / 32768 : body.readFloatLE(at);
      }
      return { ...fmt, samples };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

// The Spin component (the artifact spin.toml deploys, composed with the test-only Spin host stub
// by scripts/build-http) under the real `wasmtime serve` on 127.0.0.1, as scripts/serve runs it.
// FSK_WASMTIME and FSK_E2E_WASM are set by scripts/test.d/40-web.sh.
export async function serveComponent() {
  const { spawn } = await import('node:child_process');
  const wasmtime = process.env.FSK_WASMTIME;
  const wasm = process.env.FSK_E2E_WASM;
  if (!wasmtime || !existsSync(wasmtime) || !wasm || !existsSync(wasm)) {
    throw new Error('FSK_WASMTIME / FSK_E2E_WASM missing: run scripts/test web (it builds the component with the page)');
  }
  const kv = await mkdtemp(path.join(tmpdir(), 'fsk-kv-'));
  const proc = spawn(wasmtime, ['serve', '-Scli', '--addr', '127.0.0.1:0', '--dir', `${kv}::/kv`, wasm], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wasmtime serve did not start: ${lines.slice(-10).join('\n')}`)), 60_000);
    // Output arrives in arbitrary pieces: split it into whole lines per stream.
    const partial = new Map();
    const onData = (stream) => (d) => {
      const parts = ((partial.get(stream) ?? '') + d.toString()).split('\n');
      partial.set(stream, parts.pop());
      for (const line of parts) {
        lines.push(line);
        const m = /Serving HTTP on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
    };
    proc.stdout.on('data', onData('out'));
    proc.stderr.on('data', onData('err'));
    proc.once('exit', (code) => reject(new Error(`wasmtime serve exited (${code}): ${lines.slice(-10).join('\n')}`)));
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}health`);
      if (r.status === 200 || r.status === 503) break;
    } catch { /* not answering yet */ }
    if (Date.now() > deadline) throw new Error('the component never answered /health');
    await new Promise((r) => setTimeout(r, 50));
  }
  const close = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    await rm(kv, { recursive: true, force: true });
  };
  return { url, close };
}
