// Decoding runs here, off the page's main thread: whole WAV files, and the live receiver fed by
// the microphone worklet.
import init, { decodeWav, LiveDecoder } from './pkg/fskhttp.js';

const ready = init();
let live = null;
let pending = [];
let pendingFrames = 0;
let scheduled = false;

function plain(list) {
  const out = list.map((m) => ({
    payload: m.payload,
    protocol: m.protocol,
    protocolName: m.protocolName,
    text: m.text,
    hex: m.hex,
    startSeconds: m.startSeconds,
    endSeconds: m.endSeconds,
    snrDb: m.snrDb,
    driftPpm: m.driftPpm,
    correctedBytes: m.correctedBytes,
  }));
  for (const m of list) m.free();
  return out;
}

function plainPayloads(list) {
  const out = list.map((p) => ({
    data: p.data,
    complete: p.complete,
    framed: p.framed,
    id: p.id,
    pieces: p.pieces,
    parity: p.parity,
    received: p.received,
    missing: Array.from(p.missing),
    recovered: Array.from(p.recovered),
    text: p.text,
    hex: p.hex,
    problem: p.problem,
    startSeconds: p.startSeconds,
    endSeconds: p.endSeconds,
  }));
  for (const p of list) p.free();
  return out;
}

function progressOf(decoder) {
  const list = decoder.progress();
  const out = list.map((g) => ({ id: g.id, received: g.received, pieces: g.pieces, parity: g.parity }));
  for (const g of list) g.free();
  return out;
}

// Chunks that arrive while the receiver is busy are pushed together, so a slow receiver falls
// behind by whole pushes instead of piling up messages.
function drain() {
  scheduled = false;
  if (!live || pending.length === 0) return;
  const all = new Float32Array(pendingFrames);
  let at = 0;
  for (const c of pending) {
    all.set(c, at);
    at += c.length;
  }
  pending = [];
  pendingFrames = 0;
  const t0 = performance.now();
  const found = live.push(all);
  const ms = performance.now() - t0;
  const elapsed = live.elapsedSeconds;
  // Why the receiver hears nothing (as of its last run), shown under the Listen panel.
  const diagnosis = live.diagnosis ?? null;
  postMessage({
    type: 'live',
    messages: plain(found),
    payloads: plainPayloads(live.takePayloads()),
    progress: progressOf(live),
    elapsed,
    ms,
    diagnosis,
  });
}

onmessage = async (e) => {
  const m = e.data;
  try {
    await ready;
    if (m.type === 'decode') {
      const t0 = performance.now();
      const d = decodeWav(new Uint8Array(m.bytes), m.fixedLength, m.dss);
      const info = {
        channels: d.channels,
        sampleRate: d.sampleRate,
        bitsPerSample: d.bitsPerSample,
        float: d.float,
        seconds: d.seconds,
      };
      const diagnosis = d.diagnosis ?? null;
      const messages = plain(d.messages);
      const payloads = plainPayloads(d.payloads);
      d.free();
      postMessage({ type: 'decoded', id: m.id, info, messages, payloads, diagnosis, ms: performance.now() - t0 });
    } else if (m.type === 'live-start') {
      if (live) live.free();
      pending = [];
      pendingFrames = 0;
      live = new LiveDecoder(m.rate, m.fixedLength, m.dss);
      postMessage({ type: 'live-started' });
    } else if (m.type === 'live-chunk') {
      if (!live) return;
      pending.push(m.samples);
      pendingFrames += m.samples.length;
      if (!scheduled) {
        scheduled = true;
        setTimeout(drain, 0);
      }
    } else if (m.type === 'live-stop') {
      drain();
      if (live) {
        const found = live.flush();
        postMessage({
          type: 'live',
          messages: plain(found),
          payloads: plainPayloads(live.finishPayloads()),
          progress: [],
          elapsed: live.elapsedSeconds,
          ms: 0,
          diagnosis: live.diagnosis ?? null,
        });
        live.free();
        live = null;
      }
    }
  } catch (err) {
    postMessage({ type: 'error', id: m.id, request: m.type, message: String(err && err.message ? err.message : err) });
  }
};
