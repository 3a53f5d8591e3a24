//! [`VoicemailConfig`]: the per-line voicemail settings a session runs with.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of one voicemail call. The defaults follow the anchors (Asterisk `maxsilence=10`,
/// FreeSWITCH 1 kHz beep) and the complaints about them (units are explicit `Duration`s, never
/// "seconds or milliseconds?").
#[derive(Debug, Clone, PartialEq)]
pub struct VoicemailConfig {
    /// The greeting, already decoded to 8 kHz mono (the caller handles the fallback to
    /// [`faxvox_codecs::greeting::default_greeting`]). Empty means "no greeting": straight to
    /// the beep.
    pub greeting: Vec<i16>,
    /// Play [`faxvox_codecs::tones::beep`] between greeting and recording.
    pub beep: bool,
    /// Longest message; the recording stops at exactly this length. Default 180 s.
    pub max_record: Duration,
    /// Silence that ends the recording (and is trimmed from it). Default 10 s;
    /// `Duration::ZERO` disables the rule (a dead line then ends at `max_record`).
    pub trailing_silence: Duration,
    /// A 20 ms window whose RMS level is below this (dBFS, see
    /// [`faxvox_codecs::tones::rms_dbfs`]) is silence. Default −45 dBFS, about Asterisk's
    /// `silencethreshold=128`.
    pub silence_threshold_dbfs: f32,
    /// Shorter messages (after trimming) are missed calls and not kept. Default 1 s.
    pub min_message: Duration,
    /// The key that ends the recording. Default `#`.
    pub stop_digit: char,
    /// The key that skips the rest of the greeting, `None` to make the greeting unskippable.
    /// Default `Some('#')`.
    pub skip_greeting_digit: Option<char>,
    /// Listen for CNG and hand fax callers to the fax path. Default true.
    pub fax_detect: bool,
    /// How long after the call starts CNG is listened for; detection always covers the whole
    /// greeting and beep, and stops at this time or the end of the beep, whichever is later.
    /// Default 60 s: a calling fax machine sends CNG from the answer until its T.30 T1 timer
    /// (35 s) gives up, and a person pressing "start" by hand does so early in the message.
    /// Bounding it means a long message can never be thrown away over a whistle at minute two.
    /// `Duration::MAX` listens for the whole call.
    pub fax_detect_window: Duration,
    /// Also detect DTMF in the caller's audio (for trunks without RFC 4733). Default false:
    /// RFC 4733 digits come through [`super::VoicemailSession::on_dtmf`], and a talk-off false
    /// detection would cut a message short.
    pub inband_dtmf: bool,
}

impl VoicemailConfig {
    /// The defaults with `greeting`.
    pub fn new(greeting: Vec<i16>) -> Self {
        VoicemailConfig {
            greeting,
            ..Self::default()
        }
    }
}

impl Default for VoicemailConfig {
    /// No greeting (the caller supplies it), beep on, 180 s maximum, 10 s trailing silence at
    /// −45 dBFS, 1 s minimum, `#` stops and skips, fax detection on for the first 60 s.
    fn default() -> Self {
        VoicemailConfig {
            greeting: Vec::new(),
            beep: true,
            max_record: Duration::from_secs(180),
            trailing_silence: Duration::from_secs(10),
            silence_threshold_dbfs: -45.0,
            min_message: Duration::from_secs(1),
            stop_digit: '#',
            skip_greeting_digit: Some('#'),
            fax_detect: true,
            fax_detect_window: Duration::from_secs(60),
            inband_dtmf: false,
        }
    }
}

/// The `[voicemail]` section of the configuration: the limits every voicemail line records
/// with (the greeting is per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoicemailSection {
    /// Longest message in seconds; the recording stops there.
    pub max_secs: u32,
    /// Seconds of silence that end a message (trimmed from it); 0 disables the rule.
    pub silence_secs: u32,
    /// Messages shorter than this (seconds, after trimming) are sent as missed calls.
    pub min_secs: u32,
}

impl VoicemailSection {
    /// The recording limits are in range and consistent with each other.
    pub fn check(&self) -> Result<(), crate::settings::BadSetting> {
        use crate::settings::BadSetting;
        let vm = self;
        if !(1..=3600).contains(&vm.max_secs) {
            return Err(BadSetting::new(
                "voicemail.max_secs",
                format!("{} is outside 1..=3600", vm.max_secs),
            ));
        }
        if vm.silence_secs > vm.max_secs {
            return Err(BadSetting::new(
                "voicemail.silence_secs",
                format!(
                    "{} is above voicemail.max_secs ({})",
                    vm.silence_secs, vm.max_secs
                ),
            ));
        }
        if vm.min_secs >= vm.max_secs {
            return Err(BadSetting::new(
                "voicemail.min_secs",
                format!(
                    "{} must be below voicemail.max_secs ({})",
                    vm.min_secs, vm.max_secs
                ),
            ));
        }
        Ok(())
    }
}

impl Default for VoicemailSection {
    fn default() -> Self {
        VoicemailSection {
            max_secs: 180,
            silence_secs: 10,
            min_secs: 1,
        }
    }
}

impl VoicemailSection {
    /// A voicemail session configuration with these limits and `greeting` (8 kHz samples),
    /// everything else at [`VoicemailConfig`]'s defaults.
    pub fn session_config(&self, greeting: Vec<i16>) -> VoicemailConfig {
        VoicemailConfig {
            greeting,
            max_record: Duration::from_secs(self.max_secs.into()),
            trailing_silence: Duration::from_secs(self.silence_secs.into()),
            min_message: Duration::from_secs(self.min_secs.into()),
            ..VoicemailConfig::default()
        }
    }

    /// `min_secs` as a duration.
    pub fn min_message(&self) -> Duration {
        Duration::from_secs(self.min_secs.into())
    }
}
