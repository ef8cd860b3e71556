//! Decode many signals in one process, for `scripts/bench-robustness`. Reads records from stdin,
//! each a text line `RATE NSAMPLES\n` followed by NSAMPLES little-endian f32 samples, and prints
//! one line per record: the hex payloads found, space-separated (an empty line = nothing).
use anyhow::{bail, Context};
use fskhttp::{decode_samples, DecodeOptions};
use std::io::{BufRead, Read, Write};

fn main() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let opts = DecodeOptions::default();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        let Some((rate, n)) = line.trim().split_once(' ') else {
            bail!("expected `RATE NSAMPLES`, got {line:?}");
        };
        let rate: u32 = rate.parse().with_context(|| format!("rate {rate:?}"))?;
        let n: usize = n.parse().with_context(|| format!("sample count {n:?}"))?;
        let mut raw = vec![0u8; n * 4];
        input
            .read_exact(&mut raw)
            .with_context(|| format!("{n} samples"))?;
        let samples: Vec<f32> = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let found = match decode_samples(&samples, rate, &opts) {
            Ok(msgs) => msgs.iter().map(|m| m.hex()).collect::<Vec<_>>().join(" "),
            Err(e) => format!("error:{e}").replace(' ', "_"),
        };
        writeln!(out, "{found}")?;
        out.flush()?;
    }
    Ok(())
}
