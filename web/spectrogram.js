// A scrolling spectrogram of an AnalyserNode: time runs right to left at PX_PER_SECOND, frequency
// runs up from 0 Hz to `maxHz`. Marks (a time span with a label) are drawn on an overlay canvas
// so they scroll with the tones they point at.
const PX_PER_SECOND = 90;

// Dark blue -> purple -> orange -> pale yellow, indexed 0..255.
const PALETTE = (() => {
  const stops = [
    [0.0, [8, 10, 24]],
    [0.25, [42, 22, 84]],
    [0.5, [140, 40, 110]],
    [0.75, [240, 110, 60]],
    [1.0, [252, 240, 170]],
  ];
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, c0] = stops[k];
    const [t1, c1] = stops[k + 1];
    const f = (t - t0) / (t1 - t0);
    for (let j = 0; j < 3; j++) out[i * 3 + j] = c0[j] + (c1[j] - c0[j]) * f;
  }
  return out;
})();

export class Spectrogram {
  constructor(container) {
    this.container = container;
    this.canvas = container.querySelector('canvas.spec');
    this.overlay = container.querySelector('canvas.marks');
    this.ctx = this.canvas.getContext('2d');
    this.octx = this.overlay.getContext('2d');
    this.maxHz = 8000;
    this.analyser = null;
    this.marks = [];
    this.last = 0;
    this.carry = 0;
    this.running = false;
    this.clear();
  }

  clear() {
    this.ctx.fillStyle = `rgb(${PALETTE[0]},${PALETTE[1]},${PALETTE[2]})`;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.marks = [];
    this.drawOverlay(performance.now() / 1000);
  }

  setMaxHz(hz) {
    this.maxHz = hz;
    this.drawOverlay(performance.now() / 1000);
  }

  attach(analyser) {
    this.analyser = analyser;
    this.bins = new Float32Array(analyser.frequencyBinCount);
    this.last = performance.now() / 1000;
    this.carry = 0;
    if (!this.running) {
      this.running = true;
      requestAnimationFrame(() => this.frame());
    }
  }

  detach() {
    this.analyser = null;
  }

  // Mark [t0, t1] in performance.now() seconds.
  mark(t0, t1, label) {
    this.marks.push({ t0, t1, label });
    if (this.marks.length > 50) this.marks.shift();
  }

  frame() {
    const now = performance.now() / 1000;
    // Keeps scrolling (silence) after the analyser is detached while marks are in view, so the
    // image and its marks stay together.
    {
      this.carry += (now - this.last) * PX_PER_SECOND;
      const dx = Math.floor(this.carry);
      if (dx > 0) {
        this.carry -= dx;
        this.scroll(dx);
      }
    }
    this.last = now;
    this.drawOverlay(now);
    if (this.analyser || this.marks.some((m) => now - m.t1 < this.canvas.width / PX_PER_SECOND)) {
      requestAnimationFrame(() => this.frame());
    } else {
      this.running = false;
    }
  }

  scroll(dx) {
    const { width: w, height: h } = this.canvas;
    dx = Math.min(dx, w);
    this.ctx.drawImage(this.canvas, dx, 0, w - dx, h, 0, 0, w - dx, h);
    if (!this.analyser) {
      this.ctx.fillStyle = `rgb(${PALETTE[0]},${PALETTE[1]},${PALETTE[2]})`;
      this.ctx.fillRect(w - dx, 0, dx, h);
      return;
    }
    this.analyser.getFloatFrequencyData(this.bins);
    const nyquist = this.analyser.context.sampleRate / 2;
    const col = this.ctx.createImageData(1, h);
    const lo = this.analyser.minDecibels;
    const range = this.analyser.maxDecibels - lo;
    for (let y = 0; y < h; y++) {
      const hz = ((h - 1 - y) / (h - 1)) * this.maxHz;
      const bin = Math.min(this.bins.length - 1, Math.round((hz / nyquist) * this.bins.length));
      const db = hz > nyquist ? lo : this.bins[bin];
      const v = Math.max(0, Math.min(255, Math.round(((db - lo) / range) * 255)));
      col.data[y * 4] = PALETTE[v * 3];
      col.data[y * 4 + 1] = PALETTE[v * 3 + 1];
      col.data[y * 4 + 2] = PALETTE[v * 3 + 2];
      col.data[y * 4 + 3] = 255;
    }
    for (let x = w - dx; x < w; x++) this.ctx.putImageData(col, x, 0);
  }

  drawOverlay(now) {
    const { width: w, height: h } = this.overlay;
    const g = this.octx;
    g.clearRect(0, 0, w, h);
    // Frequency grid.
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    const step = this.maxHz > 12000 ? 4000 : this.maxHz > 6000 ? 2000 : 1000;
    for (let hz = step; hz < this.maxHz; hz += step) {
      const y = Math.round(h - 1 - (hz / this.maxHz) * (h - 1)) + 0.5;
      g.strokeStyle = 'rgba(255,255,255,0.12)';
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(w, y);
      g.stroke();
      g.fillStyle = 'rgba(255,255,255,0.55)';
      g.fillText(`${hz / 1000} kHz`, 4, y - 7);
    }
    // Message marks.
    for (const m of this.marks) {
      const x1 = w - (now - m.t1) * PX_PER_SECOND;
      const x0 = w - (now - m.t0) * PX_PER_SECOND;
      if (x1 < 0) continue;
      g.fillStyle = 'rgba(80, 220, 160, 0.12)';
      g.fillRect(x0, 0, x1 - x0, h);
      g.strokeStyle = 'rgba(80, 220, 160, 0.9)';
      g.lineWidth = 2;
      g.strokeRect(x0 + 1, 1, Math.max(0, x1 - x0 - 2), h - 2);
      g.lineWidth = 1;
      g.fillStyle = 'rgba(80, 220, 160, 1)';
      g.textBaseline = 'top';
      const label = m.label.length > 40 ? `${m.label.slice(0, 39)}…` : m.label;
      g.fillText(`✓ ${label}`, Math.max(4, x0 + 6), 6);
      g.textBaseline = 'middle';
    }
  }
}
