// AudioWorklet processor: mixes the microphone's channels to mono and hands the samples to the
// page in blocks of BLOCK frames (about 43 ms at 48 kHz), with the block's peak and RMS level.
const BLOCK = 2048;

class FskCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(BLOCK);
    this.fill = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') this.running = false;
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const frames = input[0].length;
      const scale = 1 / input.length;
      for (let i = 0; i < frames; i++) {
        let v = 0;
        for (let c = 0; c < input.length; c++) v += input[c][i];
        this.block[this.fill++] = v * scale;
        if (this.fill === BLOCK) this.send();
      }
    }
    return this.running;
  }

  send() {
    const samples = this.block;
    let peak = 0;
    let sum = 0;
    for (let i = 0; i < samples.length; i++) {
      const a = Math.abs(samples[i]);
      if (a > peak) peak = a;
      sum += a * a;
    }
    const rms = Math.sqrt(sum / samples.length);
    this.port.postMessage({ samples, peak, rms }, [samples.buffer]);
    this.block = new Float32Array(BLOCK);
    this.fill = 0;
  }
}

registerProcessor('fsk-capture', FskCapture);
