//! Fax tone and DTMF detection over 8 kHz linear audio, with sample-accurate times.
//!
//! The gateway needs to know when a voice call is really a fax (ITU-T T.30's CNG from a calling
//! fax machine during the greeting, CED/ANSam or the V.21 preamble from an answering one) and
//! which DTMF keys a caller presses. spandsp's detectors do the DSP:
//! `modem_connect_tones_rx` in CNG mode and in "CED or preamble" mode (FreeSWITCH's choice:
//! 2100 Hz alone is ambiguous, the preamble is definitive), and `dtmf_rx` in real-time mode.
//!
//! spandsp reports a tone only once it is confirmed (CNG after 415 ms of 1100 Hz, ANS after
//! 550 ms of 2100 Hz, ...). To get sample-accurate times, the tone detectors are fed one sample
//! at a time (cheap: 8000 calls/s) and the DTMF detector up to its 102-sample block boundaries,
//! so the exact sample at which a report fires is known. Each [`ToneEvent`] carries that
//! `detected` sample and an estimated `start` (detection minus the detector's confirmation
//! time), which is what a person reading `12.340s CNG` expects.

use std::collections::VecDeque;

use serde::Serialize;

use super::spandsp::{self, tone_code, ConnectToneMode, ConnectTonesRx, DtmfRx, SpandspError};

/// What was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "digit")]
pub enum Tone {
    /// T.30 calling tone, 1100 Hz (a fax machine is calling).
    Cng,
    /// ANS / CED, plain 2100 Hz (a fax machine or modem answered).
    Ced,
    /// ANS with phase reversals (echo canceller disable; data modems).
    CedPr,
    /// ANSam: 2100 Hz amplitude modulated at 15 Hz (V.8 modems, V.34 fax).
    Ansam,
    /// ANSam with phase reversals.
    AnsamPr,
    /// V.21 HDLC flags: T.30 signalling has started (definitive fax).
    V21Preamble,
    /// A DTMF key.
    Dtmf(char),
}

impl Tone {
    /// Short label for text output (`CNG`, `CED`, `DTMF 5`, ...).
    pub fn label(&self) -> String {
        match self {
            Tone::Cng => "CNG".into(),
            Tone::Ced => "CED".into(),
            Tone::CedPr => "CED/PR".into(),
            Tone::Ansam => "ANSam".into(),
            Tone::AnsamPr => "ANSam/PR".into(),
            Tone::V21Preamble => "V.21 preamble".into(),
            Tone::Dtmf(d) => format!("DTMF {d}"),
        }
    }

    /// Whether the tone says "fax" (everything except DTMF).
    pub fn is_fax(&self) -> bool {
        !matches!(self, Tone::Dtmf(_))
    }

    fn from_code(code: i32) -> Option<Tone> {
        Some(match code {
            tone_code::FAX_CNG => Tone::Cng,
            tone_code::ANS => Tone::Ced,
            tone_code::ANS_PR => Tone::CedPr,
            tone_code::ANSAM => Tone::Ansam,
            tone_code::ANSAM_PR => Tone::AnsamPr,
            tone_code::FAX_PREAMBLE => Tone::V21Preamble,
            _ => return None,
        })
    }

    /// How long spandsp needs to confirm the tone, in samples (used to estimate its start).
    fn confirm_samples(&self) -> u64 {
        match self {
            Tone::Cng => 3320,                               // 415 ms of steady 1100 Hz
            Tone::Ced | Tone::Ansam => 4400,                 // 550 ms of steady 2100 Hz
            Tone::CedPr | Tone::AnsamPr => 10800,            // three 450 ms reversal cycles
            Tone::V21Preamble => 1200, // 5 flags at 300 bit/s + carrier detect
            Tone::Dtmf(_) => 2 * spandsp::DTMF_BLOCK as u64, // two agreeing blocks
        }
    }
}

/// Whether a tone began or ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Edge {
    /// The tone was confirmed.
    On,
    /// The tone stopped.
    Off,
}

/// One detection, with times as sample indices from the first sample fed (8 kHz).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToneEvent {
    /// What.
    pub tone: Tone,
    /// Began or ended.
    pub edge: Edge,
    /// Estimated sample at which the tone began (On) or ended (Off).
    pub start: u64,
    /// Sample at which the detector reported it.
    pub detected: u64,
    /// Level in dBm0 as spandsp measured it (On edges; -99 for Off).
    pub level_dbm0: i32,
}

impl ToneEvent {
    /// `start` in seconds.
    pub fn start_secs(&self) -> f64 {
        self.start as f64 / 8000.0
    }
}

/// Which detectors to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectorConfig {
    /// CNG (calling fax).
    pub cng: bool,
    /// CED/ANSam or V.21 preamble (answering fax).
    pub ced_or_preamble: bool,
    /// DTMF digits.
    pub dtmf: bool,
}

impl Default for DetectorConfig {
    /// Everything on.
    fn default() -> Self {
        DetectorConfig {
            cng: true,
            ced_or_preamble: true,
            dtmf: true,
        }
    }
}

/// Streaming fax-tone and DTMF detector. Feed any number of samples at a time.
pub struct ToneDetector {
    cng: Option<ConnectTonesRx>,
    ced: Option<ConnectTonesRx>,
    dtmf: Option<DtmfRx>,
    /// Samples fed so far.
    position: u64,
    /// Position inside the current DTMF block.
    dtmf_phase: usize,
    /// Tone currently on, per connect-tone detector, to label Off edges.
    cng_on: Option<Tone>,
    ced_on: Option<Tone>,
    dtmf_on: Option<char>,
    events: VecDeque<ToneEvent>,
}

impl ToneDetector {
    /// Creates the detectors selected in `config`; `call_id` tags spandsp's debug log lines.
    pub fn new(config: DetectorConfig, call_id: &str) -> Result<Self, SpandspError> {
        Ok(ToneDetector {
            cng: config
                .cng
                .then(|| ConnectTonesRx::new(ConnectToneMode::Cng, call_id))
                .transpose()?,
            ced: config
                .ced_or_preamble
                .then(|| ConnectTonesRx::new(ConnectToneMode::CedOrPreamble, call_id))
                .transpose()?,
            dtmf: config.dtmf.then(|| DtmfRx::new(call_id)).transpose()?,
            position: 0,
            dtmf_phase: 0,
            cng_on: None,
            ced_on: None,
            dtmf_on: None,
            events: VecDeque::new(),
        })
    }

    /// Samples fed so far (the time base of the events).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Feeds 8 kHz linear samples.
    pub fn feed(&mut self, samples: &[i16]) {
        let base = self.position;
        if self.ced.is_none() {
            // CNG alone (a voicemail line): the whole block in one call, stopping at each
            // report, whose sample is the last one taken.
            if let Some(det) = self.cng.as_mut() {
                let mut taken = 0;
                while taken < samples.len() {
                    taken += det.rx_to_report(&samples[taken..]);
                    let at = base + taken as u64 - 1;
                    while let Some((code, level)) = det.next_report() {
                        Self::connect_report(&mut self.events, &mut self.cng_on, code, level, at);
                    }
                }
            }
        }
        // With CED/preamble detection too: sample by sample, so both detectors' reports stay
        // in time order.
        let per_sample = if self.ced.is_some() { samples } else { &[] };
        for (i, s) in per_sample.iter().enumerate() {
            // Reports fire inside the call for sample i, so they happened at sample base + i.
            let at = base + i as u64;
            if let Some(det) = self.cng.as_mut() {
                det.rx(std::slice::from_ref(s));
                while let Some((code, level)) = det.next_report() {
                    Self::connect_report(&mut self.events, &mut self.cng_on, code, level, at);
                }
            }
            if let Some(det) = self.ced.as_mut() {
                det.rx(std::slice::from_ref(s));
                while let Some((code, level)) = det.next_report() {
                    Self::connect_report(&mut self.events, &mut self.ced_on, code, level, at);
                }
            }
        }
        if let Some(det) = self.dtmf.as_mut() {
            let mut rest = samples;
            let mut at = base;
            while !rest.is_empty() {
                let n = (spandsp::DTMF_BLOCK - self.dtmf_phase).min(rest.len());
                det.rx(&rest[..n]);
                at += n as u64;
                self.dtmf_phase = (self.dtmf_phase + n) % spandsp::DTMF_BLOCK;
                rest = &rest[n..];
                // Reports only fire at a block end, i.e. on the last sample just fed.
                while let Some((digit, level, _)) = det.next_report() {
                    let detected = at - 1;
                    let (tone, edge) = match digit {
                        Some(d) => {
                            self.dtmf_on = Some(d);
                            (Tone::Dtmf(d), Edge::On)
                        }
                        None => match self.dtmf_on.take() {
                            Some(d) => (Tone::Dtmf(d), Edge::Off),
                            None => continue,
                        },
                    };
                    self.events.push_back(ToneEvent {
                        tone,
                        edge,
                        start: detected.saturating_sub(tone.confirm_samples()),
                        detected,
                        level_dbm0: level,
                    });
                }
            }
        }
        self.position += samples.len() as u64;
    }

    fn connect_report(
        events: &mut VecDeque<ToneEvent>,
        on: &mut Option<Tone>,
        code: i32,
        level: i32,
        at: u64,
    ) {
        if code == tone_code::NONE {
            if let Some(tone) = on.take() {
                events.push_back(ToneEvent {
                    tone,
                    edge: Edge::Off,
                    start: at,
                    detected: at,
                    level_dbm0: -99,
                });
            }
            return;
        }
        let Some(tone) = Tone::from_code(code) else {
            return;
        };
        if let Some(prev) = on.replace(tone) {
            // A new tone replaces the previous one without an explicit stop.
            events.push_back(ToneEvent {
                tone: prev,
                edge: Edge::Off,
                start: at,
                detected: at,
                level_dbm0: -99,
            });
        }
        events.push_back(ToneEvent {
            tone,
            edge: Edge::On,
            start: at.saturating_sub(tone.confirm_samples()),
            detected: at,
            level_dbm0: level,
        });
    }

    /// Next event, in detection order.
    pub fn poll_event(&mut self) -> Option<ToneEvent> {
        self.events.pop_front()
    }
}

/// Runs a fresh detector over a whole buffer and returns every event (for files and tests).
pub fn detect_all(samples: &[i16], config: DetectorConfig) -> Result<Vec<ToneEvent>, SpandspError> {
    let mut det = ToneDetector::new(config, "detect")?;
    det.feed(samples);
    Ok(std::iter::from_fn(|| det.poll_event()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::tones;

    fn on_events(ev: &[ToneEvent]) -> Vec<&ToneEvent> {
        ev.iter().filter(|e| e.edge == Edge::On).collect()
    }

    #[test]
    fn cng_detected_at_the_right_times() {
        // 1 s of silence, then 3 CNG cycles (tone at 1.0, 4.5, 8.0 s, 0.5 s each).
        let mut audio = tones::silence(1000);
        audio.extend(tones::cng(3));
        let ev = detect_all(&audio, DetectorConfig::default()).unwrap();
        let on = on_events(&ev);
        assert_eq!(on.len(), 3, "{ev:?}");
        for (i, e) in on.iter().enumerate() {
            assert_eq!(e.tone, Tone::Cng);
            let want = 1.0 + 3.5 * i as f64;
            assert!(
                (e.start_secs() - want).abs() < 0.03,
                "start {} want {want}",
                e.start_secs()
            );
            let det = e.detected as f64 / 8000.0;
            assert!(det > want + 0.4 && det < want + 0.5, "detected {det}");
        }
        let off: Vec<_> = ev.iter().filter(|e| e.edge == Edge::Off).collect();
        assert_eq!(off.len(), 3);
        for (i, e) in off.iter().enumerate() {
            let want = 1.5 + 3.5 * i as f64;
            assert!(
                (e.start_secs() - want).abs() < 0.03,
                "end {} want {want}",
                e.start_secs()
            );
        }
    }

    #[test]
    fn ced_detected() {
        let mut audio = tones::silence(500);
        audio.extend(tones::ced(3000));
        audio.extend(tones::silence(500));
        let ev = detect_all(&audio, DetectorConfig::default()).unwrap();
        let on = on_events(&ev);
        assert_eq!(on.len(), 1, "{ev:?}");
        assert_eq!(on[0].tone, Tone::Ced);
        assert!((on[0].start_secs() - 0.5).abs() < 0.05, "{:?}", on[0]);
    }

    #[test]
    fn dtmf_digits_in_order() {
        let mut audio = tones::silence(300);
        audio.extend(tones::dtmf("1234567890*#ABCD", 80, 80).unwrap());
        audio.extend(tones::silence(300));
        // Feed in odd-sized pieces to exercise the block alignment.
        let mut det = ToneDetector::new(DetectorConfig::default(), "t").unwrap();
        for chunk in audio.chunks(37) {
            det.feed(chunk);
        }
        let ev: Vec<_> = std::iter::from_fn(|| det.poll_event()).collect();
        let digits: String = on_events(&ev)
            .iter()
            .filter_map(|e| match e.tone {
                Tone::Dtmf(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(digits, "1234567890*#ABCD");
        assert!(ev.iter().all(|e| !e.tone.is_fax()), "{ev:?}");
        // Digit k starts at 0.3 + 0.16 k s.
        for (k, e) in on_events(&ev).iter().enumerate() {
            let want = 0.3 + 0.16 * k as f64;
            assert!(
                (e.start_secs() - want).abs() < 0.03,
                "digit {k}: {} vs {want}",
                e.start_secs()
            );
        }
    }

    #[test]
    fn silence_and_noise_give_nothing() {
        let ev = detect_all(&tones::silence(3000), DetectorConfig::default()).unwrap();
        assert!(ev.is_empty());
    }
}
