//! `faxvox detect IN.wav`: finds fax tones (CNG, CED/ANSam, V.21 preamble) and DTMF digits in
//! an audio file, the same detector the gateway runs on calls.
//!
//! The file is decoded like a greeting (any WAV rate/format, MP3, ...; converted to 8 kHz
//! mono). Each event prints as `12.340s CNG` (tone confirmed, estimated start time) or
//! `12.840s CNG end`; `--json` prints one JSON object per line instead.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faxvox_codecs::greeting::{self, GreetingLimits};
use serde::Serialize;

use crate::config::Config;
use crate::fax::tones::{DetectorConfig, Edge, ToneDetector, ToneEvent};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// WAV file (any rate and channel count; converted to 8 kHz mono).
    pub input: PathBuf,
    /// Print events as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One JSON line.
#[derive(Serialize)]
struct Line<'a> {
    /// Estimated start (On) or end (Off) of the tone, seconds from the start of the file.
    time_s: f64,
    /// When the detector confirmed it, seconds.
    detected_s: f64,
    /// Human label, as in the text output.
    label: String,
    #[serde(flatten)]
    event: &'a ToneEvent,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    // An offline tool: allow long recordings (an hour), unlike greeting uploads.
    let limits = GreetingLimits {
        max_bytes: 1 << 30,
        max_duration_ms: 60 * 60 * 1000,
    };
    let samples = greeting::decode_greeting_with(&bytes, &limits)
        .with_context(|| format!("cannot decode {}", args.input.display()))?;
    let call_id = args.input.display().to_string();
    let mut det = ToneDetector::new(DetectorConfig::default(), &call_id)?;
    let mut out = std::io::stdout().lock();
    // Feed in 20 ms frames, as a call would deliver them.
    for frame in samples.chunks(160) {
        det.feed(frame);
        while let Some(ev) = det.poll_event() {
            print_event(&mut out, &ev, args.json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_event(out: &mut impl std::io::Write, ev: &ToneEvent, json: bool) -> anyhow::Result<()> {
    let label = match ev.edge {
        Edge::On => ev.tone.label(),
        Edge::Off => format!("{} end", ev.tone.label()),
    };
    if json {
        let line = Line {
            time_s: ev.start_secs(),
            detected_s: ev.detected as f64 / 8000.0,
            label,
            event: ev,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    } else {
        writeln!(out, "{:.3}s {label}", ev.start_secs())?;
    }
    Ok(())
}
