// The page: wires the controls to the modem (./pkg/fskhttp.js, Rust compiled to WebAssembly).
// Encoding runs here; decoding runs in worker.js; the microphone is read by worklet.js.
import init, * as fsk from './pkg/fskhttp.js';
import { Spectrogram } from './spectrogram.js';

const $ = (id) => document.getElementById(id);
const MAX_PAYLOAD = 8192;
const encoder = new TextEncoder();

let protocols = [];
let fileBytes = null; // a file to send instead of the text
let audio = null; // the AudioContext, made on the first gesture
let playing = null; // { source, analyser }
let mic = null; // { stream, node, source, analyser }
let streamSeconds = 0; // audio handed to the live receiver so far
let streamRate = 48000;
let decodeId = 0;
const pendingDecodes = new Map();

const playSpec = new Spectrogram($('play-spec'));
const listenSpec = new Spectrogram($('listen-spec'));
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

function setStatus(el, text, kind = '') {
  el.textContent = text;
  el.className = `status ${kind}`;
}

function fmtSeconds(s) {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

function fmtBytes(n) {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

// ---- Send -------------------------------------------------------------------------------------

function payload() {
  return fileBytes ?? encoder.encode($('text').value);
}

function sendOptions() {
  const fixed = $('send-fixed-on').checked ? Number($('send-fixed').value) : undefined;
  return {
    protocol: Number($('protocol').value),
    volume: Number($('volume').value),
    rate: Number($('rate').value),
    fixed,
    dss: $('send-dss').checked,
    float: $('send-float').checked,
    // docs/framing.md: long payloads go out as pieces with parity pieces that rebuild lost ones.
    framing: $('send-framing').value,
    parity: Number($('send-parity').value),
  };
}

function updatePlan() {
  const o = sendOptions();
  const p = protocols[o.protocol];
  const bytes = payload();
  $('volume-out').textContent = String(o.volume);
  const plan = $('plan');
  let ok = false;
  if (!p) return;
  if (p.monoTone && o.fixed === undefined) {
    plan.innerHTML = `<strong>${p.name}</strong> is mono-tone: turn on <em>Fixed length</em> under Advanced.`;
  } else if (bytes.length === 0) {
    plan.textContent = 'Type a message or choose a file.';
  } else if (bytes.length > MAX_PAYLOAD) {
    plan.textContent = `${fmtBytes(bytes.length)} is too much: at most ${MAX_PAYLOAD} bytes.`;
  } else {
    try {
      const info = fsk.plan(bytes.length, o.protocol, o.volume, o.rate, o.fixed, o.dss, o.framing, o.parity);
      const tx = info.transmissions;
      const pieces = info.framed
        ? ` · ${info.dataPieces} ${info.dataPieces === 1 ? 'piece' : 'pieces'} + ${info.parityPieces} parity, ${fmtSeconds(info.seconds)} in total`
        : tx > 1 ? ` · ${tx} transmissions` : '';
      plan.innerHTML =
        `<strong>${fmtBytes(bytes.length)}</strong> in <strong>${fmtSeconds(info.seconds)}</strong>` +
        ` · ${p.name}: ${p.bytesPerSecond.toFixed(1)} bytes/s, tones ${Math.round(p.minHz)}–${Math.round(p.maxHz)} Hz` +
        pieces;
      plan.dataset.transmissions = String(tx);
      info.free();
      ok = true;
    } catch (err) {
      plan.textContent = String(err.message ?? err);
    }
  }
  $('play').disabled = !ok;
  $('download').disabled = !ok;
}

function encodeNow() {
  const o = sendOptions();
  return fsk.encode(payload(), o.protocol, o.volume, o.rate, o.fixed, o.dss, o.framing, o.parity);
}

function audioContext() {
  if (!audio) audio = new AudioContext({ latencyHint: 'interactive' });
  if (audio.state === 'suspended') audio.resume();
  return audio;
}

function stopPlaying() {
  if (!playing) return;
  const p = playing;
  playing = null;
  p.source.onended = null;
  try { p.source.stop(); } catch { /* already stopped */ }
  p.source.disconnect();
  playSpec.detach();
  $('stop').disabled = true;
}

function play() {
  stopPlaying();
  let samples;
  try {
    samples = encodeNow();
  } catch (err) {
    setStatus($('send-status'), String(err.message ?? err), 'error');
    return;
  }
  const o = sendOptions();
  const ctx = audioContext();
  const buffer = new AudioBuffer({ length: samples.length, numberOfChannels: 1, sampleRate: o.rate });
  buffer.copyToChannel(samples, 0);
  const source = new AudioBufferSourceNode(ctx, { buffer });
  const analyser = new AnalyserNode(ctx, { fftSize: 4096, smoothingTimeConstant: 0, minDecibels: -110, maxDecibels: -20 });
  source.connect(analyser);
  analyser.connect(ctx.destination);
  const p = protocols[o.protocol];
  playSpec.setMaxHz(Math.min(ctx.sampleRate / 2, o.rate / 2, Math.ceil((p.maxHz * 1.2) / 1000) * 1000));
  playSpec.attach(analyser);
  const seconds = samples.length / o.rate;
  source.onended = () => {
    // 'ended' fires once the last sample has been rendered, i.e. has reached the analyser.
    const t1 = performance.now() / 1000;
    stopPlaying();
    playSpec.mark(t1 - seconds, t1, `${p.name} · ${fmtSeconds(seconds)}`);
    setStatus($('send-status'), `Played ${fmtSeconds(seconds)}.`, 'ok');
  };
  playing = { source, analyser };
  source.start();
  $('stop').disabled = false;
  setStatus($('send-status'), `Playing ${fmtSeconds(seconds)} of ${p.name}…`);
}

function download() {
  const o = sendOptions();
  let wav;
  try {
    wav = fsk.encodeWav(payload(), o.protocol, o.volume, o.rate, o.fixed, o.dss, o.float, o.framing, o.parity);
  } catch (err) {
    setStatus($('send-status'), String(err.message ?? err), 'error');
    return;
  }
  const url = URL.createObjectURL(new Blob([wav], { type: 'audio/wav' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `fsk-${protocols[o.protocol].slug}.wav`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  setStatus($('send-status'), `Saved ${a.download} (${fmtBytes(wav.length)}).`, 'ok');
}

async function chooseSendFile(file) {
  if (!file) return;
  if (file.size > MAX_PAYLOAD) {
    setStatus($('send-status'), `${file.name} is ${fmtBytes(file.size)}: at most ${MAX_PAYLOAD} bytes can be sent.`, 'error');
    return;
  }
  fileBytes = new Uint8Array(await file.arrayBuffer());
  $('send-file-name').textContent = `${file.name} (${fmtBytes(fileBytes.length)})`;
  $('send-file-clear').hidden = false;
  $('text').disabled = true;
  setStatus($('send-status'), '');
  updatePlan();
}

function clearSendFile() {
  fileBytes = null;
  $('send-file').value = '';
  $('send-file-name').textContent = '';
  $('send-file-clear').hidden = true;
  $('text').disabled = false;
  updatePlan();
}

// ---- Messages ---------------------------------------------------------------------------------

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const t = document.createElement('textarea');
    t.value = text;
    document.body.append(t);
    t.select();
    document.execCommand('copy');
    t.remove();
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
}

function messageItem(m, extra = '') {
  const li = document.createElement('li');
  const body = document.createElement('div');
  const isText = typeof m.text === 'string' && !/[\u0000-\u0008\u000e-\u001f]/.test(m.text);
  body.className = isText ? 'body text' : 'body hex';
  body.textContent = isText ? m.text : m.hex;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = m.protocolName;
  meta.append(badge, `${fmtSeconds(m.startSeconds)} – ${fmtSeconds(m.endSeconds)} · ${fmtBytes(m.payload.length)}${isText ? '' : ' (binary, shown as hex)'}${extra}`);
  // Quality: band SNR, the clock drift locked to, the bytes Reed-Solomon repaired.
  const quality = document.createElement('span');
  quality.className = 'quality';
  quality.textContent = ` · SNR ${m.snrDb.toFixed(1)} dB · drift ${Math.round(m.driftPpm)} ppm · ${m.correctedBytes} byte${m.correctedBytes === 1 ? '' : 's'} corrected`;
  quality.title = 'Signal-to-noise ratio in the protocol band; clock error of the sender against the recording; bytes Reed-Solomon corrected';
  meta.append(quality);
  li.dataset.snrDb = String(m.snrDb);
  li.dataset.driftPpm = String(m.driftPpm);
  li.dataset.correctedBytes = String(m.correctedBytes);
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'copy small';
  copy.textContent = 'Copy';
  copy.addEventListener('click', () => copyText(body.textContent, copy));
  li.append(body, meta, copy);
  li.dataset.protocol = String(m.protocol);
  return li;
}

// A framed payload (docs/framing.md): joined, rebuilt, or incomplete with what is missing.
function payloadItem(p) {
  const li = document.createElement('li');
  li.className = p.complete ? 'payload' : 'payload incomplete';
  const body = document.createElement('div');
  const isText = typeof p.text === 'string' && !/[\u0000-\u0008\u000e-\u001f]/.test(p.text);
  body.className = isText ? 'body text' : 'body hex';
  body.textContent = p.complete ? (isText ? p.text : p.hex) : `Incomplete: ${p.problem}`;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = p.complete ? (p.recovered.length ? 'rebuilt' : 'complete') : 'incomplete';
  const rebuilt = p.recovered.length
    ? ` · piece${p.recovered.length > 1 ? 's' : ''} ${p.recovered.map((i) => i + 1).join(', ')} rebuilt from parity`
    : '';
  meta.append(badge, `${fmtSeconds(p.startSeconds)} – ${fmtSeconds(p.endSeconds)} · ${p.pieces} ${p.pieces === 1 ? 'piece' : 'pieces'}${p.complete ? ` · ${fmtBytes(p.data.length)}` : ''}${rebuilt}`);
  li.append(body, meta);
  if (p.complete) {
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy small';
    copy.textContent = 'Copy';
    copy.addEventListener('click', () => copyText(body.textContent, copy));
    li.append(copy);
  }
  li.dataset.complete = String(p.complete);
  li.dataset.recovered = p.recovered.join(',');
  li.dataset.missing = p.missing.join(',');
  return li;
}

// A transmission that is a piece of a framed payload: version byte 0xF5, index and count in the
// header (docs/framing.md). Shown as progress, not as a message.
function isPiece(m) {
  return m.payload.length > 13 && m.payload[0] === 0xf5;
}

function receiverOptions() {
  return {
    fixedLength: $('recv-fixed-on').checked ? Number($('recv-fixed').value) : undefined,
    dss: $('recv-dss').checked,
  };
}

// ---- Decode a file ----------------------------------------------------------------------------

async function decodeFile(file) {
  if (!file) return;
  const status = $('decode-status');
  const list = $('decode-messages');
  list.replaceChildren();
  showDiagnosis($('decode-diagnosis'), null);
  setStatus(status, `Decoding ${file.name}…`);
  const bytes = await file.arrayBuffer();
  const id = ++decodeId;
  const result = await new Promise((resolve) => {
    pendingDecodes.set(id, resolve);
    worker.postMessage({ type: 'decode', id, bytes, ...receiverOptions() }, [bytes]);
  });
  if (id !== decodeId) return; // a newer file was dropped meanwhile
  if (result.type === 'error') {
    setStatus(status, `${file.name}: ${result.message}`, 'error');
    return;
  }
  const { info, messages, payloads, ms, diagnosis } = result;
  const fmt = `${info.sampleRate} Hz · ${info.float ? `${info.bitsPerSample}-bit float` : `${info.bitsPerSample}-bit`} · ${info.channels} ch · ${fmtSeconds(info.seconds)}`;
  const found = messages.length === 0 ? 'no message found' : messages.length === 1 ? '1 message' : `${messages.length} messages`;
  setStatus(status, `${file.name}: ${fmt} — ${found}, decoded in ${Math.round(ms)} ms`, messages.length ? 'ok' : '');
  status.dataset.ms = String(ms);
  // Plain messages as they are; the pieces of a framed payload as the payload they make up.
  const framed = payloads.filter((q) => q.framed);
  const inFramed = (m) => isPiece(m) && framed.some((q) => m.startSeconds >= q.startSeconds - 0.01 && m.endSeconds <= q.endSeconds + 0.01);
  const items = messages.filter((m) => !inFramed(m)).map((m) => [m.startSeconds, messageItem(m)]);
  for (const p of framed) items.push([p.startSeconds, payloadItem(p)]);
  items.sort((a, b) => a[0] - b[0]);
  for (const [, li] of items) list.append(li);
  showDiagnosis($('decode-diagnosis'), diagnosis);
}

// Why nothing was decoded (the codec's diagnosis sentence), or hidden.
function showDiagnosis(el, text, prefix = 'Why nothing was decoded') {
  el.hidden = !text;
  el.textContent = text ? `${prefix}: ${text}.` : '';
}

// ---- Listen -----------------------------------------------------------------------------------

function micError(err) {
  const name = err && err.name;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return 'This browser gives no microphone access here: open the page over https or from localhost.';
  }
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone access was denied. Allow the microphone for this site (the icon in the address bar) and press Start again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No microphone found. Connect one (or enable it in the system settings) and press Start again.';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'The microphone is busy or failed to start: close other apps using it and try again.';
  }
  return `Could not start the microphone: ${err && err.message ? err.message : err}`;
}

async function startListening() {
  const status = $('listen-status');
  $('listen-start').disabled = true;
  setStatus(status, 'Asking for the microphone…');
  let stream;
  try {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error('no mediaDevices');
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
    });
  } catch (err) {
    setStatus(status, micError(err), 'error');
    $('listen-start').disabled = false;
    return;
  }
  try {
    const ctx = audioContext();
    await ctx.audioWorklet.addModule(new URL('./worklet.js', import.meta.url));
    const source = new MediaStreamAudioSourceNode(ctx, { mediaStream: stream });
    const node = new AudioWorkletNode(ctx, 'fsk-capture', { numberOfOutputs: 0 });
    const analyser = new AnalyserNode(ctx, { fftSize: 4096, smoothingTimeConstant: 0, minDecibels: -110, maxDecibels: -20 });
    source.connect(node);
    source.connect(analyser);
    streamSeconds = 0;
    Object.assign(load, { ms: 0, audio: 0, lastElapsed: 0, maxMs: 0 });
    streamRate = ctx.sampleRate;
    const o = receiverOptions();
    worker.postMessage({ type: 'live-start', rate: streamRate, fixedLength: o.fixedLength, dss: o.dss });
    node.port.onmessage = (e) => {
      const { samples, peak, rms } = e.data;
      streamSeconds += samples.length / streamRate;
      worker.postMessage({ type: 'live-chunk', samples }, [samples.buffer]);
      showLevel(peak, rms);
    };
    mic = { stream, node, source, analyser };
    listenSpec.setMaxHz(Math.min(ctx.sampleRate / 2, Number($('spec-range').value)));
    listenSpec.attach(analyser);
    $('listen-stop').disabled = false;
    const track = stream.getAudioTracks()[0];
    setStatus(status, `Listening to ${track && track.label ? track.label : 'the microphone'} at ${streamRate} Hz…`, 'ok');
  } catch (err) {
    stream.getTracks().forEach((t) => t.stop());
    setStatus(status, `Could not start listening: ${err.message ?? err}`, 'error');
    $('listen-start').disabled = false;
  }
}

function stopListening() {
  if (!mic) return;
  mic.node.port.postMessage('stop');
  mic.node.port.onmessage = null;
  mic.source.disconnect();
  mic.stream.getTracks().forEach((t) => t.stop());
  mic = null;
  worker.postMessage({ type: 'live-stop' });
  listenSpec.detach();
  showLevel(0, 0);
  $('listen-start').disabled = false;
  $('listen-stop').disabled = true;
  setStatus($('listen-status'), 'Stopped.');
}

function showLevel(peak, rms) {
  const db = rms > 0 ? 20 * Math.log10(rms) : -Infinity;
  const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  $('meter-bar').style.width = `${pct}%`;
  $('meter-db').textContent = Number.isFinite(db) ? `${db.toFixed(0)} dB` : mic ? 'silence' : '— dB';
  $('meter-db').title = `peak ${peak.toFixed(3)}`;
}

// Receiver load: processing time over audio time, over the last few seconds.
const load = { ms: 0, audio: 0, lastElapsed: 0, maxMs: 0 };

function liveProgress(progress) {
  const el = $('listen-progress');
  if (!progress || progress.length === 0) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.hidden = false;
  el.textContent = progress
    .map((g) => `Receiving a long payload: piece ${g.received} of ${g.pieces + g.parity} (${g.pieces} data + ${g.parity} parity)`)
    .join(' · ');
}

function livePayloads(payloads) {
  for (const p of payloads ?? []) {
    if (!p.framed) continue; // plain messages are shown as messages
    $('listen-messages').prepend(payloadItem(p));
    setStatus($('listen-status'), p.complete
      ? (p.recovered.length ? 'Received a long payload, rebuilt from parity. Still listening…' : 'Received a long payload. Still listening…')
      : `A long payload is incomplete: ${p.problem}`, p.complete ? 'ok' : 'error');
  }
}

function liveMessages({ messages, payloads, progress, elapsed, ms, diagnosis }) {
  liveProgress(progress);
  livePayloads(payloads);
  if (mic) {
    load.ms += ms;
    load.audio += Math.max(0, elapsed - load.lastElapsed);
    load.lastElapsed = elapsed;
    load.maxMs = Math.max(load.maxMs, ms);
    if (load.audio > 3) {
      const pct = (load.ms / 10 / load.audio);
      $('live-load').textContent = `receiver load ${pct.toFixed(0)}%`;
      document.body.dataset.liveLoad = pct.toFixed(1);
      document.body.dataset.liveMaxPushMs = load.maxMs.toFixed(0);
      load.ms = 0;
      load.audio = 0;
    }
  }
  if (!mic && messages.length === 0) return;
  if (mic || diagnosis) showDiagnosis($('listen-diagnosis'), diagnosis, 'Nothing decoded in the last seconds');
  const now = performance.now() / 1000;
  // The stream's "elapsed" second corresponds to (about) now minus the audio queued since.
  const lag = Math.max(0, streamSeconds - elapsed);
  for (const m of messages) {
    if (isPiece(m)) continue; // shown as progress, then as the payload
    // Audio received after the transmission's end, plus the time the receiver took.
    const delay = elapsed - m.endSeconds + ms / 1000;
    const t1 = now - lag - (elapsed - m.endSeconds);
    const t0 = t1 - (m.endSeconds - m.startSeconds);
    listenSpec.mark(t0, t1, m.text ?? m.hex);
    const li = messageItem(m, delay < 0.05 ? ' · shown as it ended' : ` · shown ${delay.toFixed(2)} s after it ended`);
    li.dataset.delay = String(delay);
    $('listen-messages').prepend(li);
  }
  if (messages.some((m) => !isPiece(m))) {
    setStatus($('listen-status'), `Received ${messages.length === 1 ? 'a message' : `${messages.length} messages`}. Still listening…`, 'ok');
  }
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'decoded' || (m.type === 'error' && m.request === 'decode')) {
    const resolve = pendingDecodes.get(m.id);
    pendingDecodes.delete(m.id);
    if (resolve) resolve(m);
  } else if (m.type === 'live') {
    liveMessages(m);
  } else if (m.type === 'error') {
    setStatus($('listen-status'), `Receiver error: ${m.message}`, 'error');
  }
};

// ---- Wiring -----------------------------------------------------------------------------------

function dropTarget(el, onFile) {
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('dragging');
  });
  el.addEventListener('dragleave', () => el.classList.remove('dragging'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('dragging');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

async function main() {
  try {
    await init();
  } catch (err) {
    setStatus($('load-status'), `The modem failed to load: ${err.message ?? err}`, 'error');
    return;
  }
  protocols = fsk.protocols().map((p) => {
    const o = { id: p.id, name: p.name, slug: p.slug, minHz: p.minHz, maxHz: p.maxHz, bytesPerSecond: p.bytesPerSecond, monoTone: p.monoTone };
    p.free();
    return o;
  });
  const select = $('protocol');
  for (const p of protocols) {
    const opt = document.createElement('option');
    opt.value = String(p.id);
    opt.textContent = `${p.id} · ${p.name} — ${p.bytesPerSecond.toFixed(1)} B/s${p.monoTone ? ' (fixed length)' : ''}`;
    select.append(opt);
  }
  select.value = '1';
  $('version').textContent = fsk.version();

  for (const id of ['text', 'protocol', 'volume', 'rate', 'send-fixed-on', 'send-fixed', 'send-dss', 'send-framing', 'send-parity']) {
    $(id).addEventListener('input', updatePlan);
  }
  $('protocol').addEventListener('change', () => {
    if (protocols[Number($('protocol').value)].monoTone) $('send-fixed-on').checked = true;
    updatePlan();
  });
  $('play').addEventListener('click', play);
  $('stop').addEventListener('click', () => {
    stopPlaying();
    setStatus($('send-status'), 'Stopped.');
  });
  $('download').addEventListener('click', download);
  $('send-file').addEventListener('change', (e) => chooseSendFile(e.target.files[0]));
  $('send-file-clear').addEventListener('click', clearSendFile);
  dropTarget($('send-drop'), chooseSendFile);

  $('decode-file').addEventListener('change', (e) => {
    decodeFile(e.target.files[0]);
    e.target.value = ''; // choosing the same file again decodes it again
  });
  dropTarget($('drop'), decodeFile);
  $('drop').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') $('decode-file').click();
  });

  $('listen-start').addEventListener('click', startListening);
  $('listen-stop').addEventListener('click', stopListening);
  $('spec-range').addEventListener('change', () => {
    const rate = audio ? audio.sampleRate : 48000;
    listenSpec.setMaxHz(Math.min(rate / 2, Number($('spec-range').value)));
  });

  $('listen-start').disabled = false;
  updatePlan();
  setStatus($('load-status'), '');
  document.body.dataset.ready = 'true';
}

main();
