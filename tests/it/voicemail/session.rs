//! Simulated voicemail calls against `VoicemailSession`: generated audio in 20 ms frames on a
//! simulated clock, real WAV files in temporary folders.

use std::path::{Path, PathBuf};
use std::time::Duration;

use faxvox::voicemail::{
    MissedReason, Outcome, Phase, StopReason, VoicemailConfig, VoicemailError, VoicemailEvent,
    VoicemailSession, DIGIT_GUARD, FRAME_SAMPLES, TICK, TRIM_TAIL,
};
use faxvox_codecs::greeting::default_greeting;
use faxvox_codecs::recording::{read_wav_file, trailing_silence_start};
use faxvox_codecs::tones::{self, tone_level_dbfs};

const RATE: usize = 8000;

fn secs(s: f64) -> usize {
    (s * RATE as f64).round() as usize
}

/// A deterministic speech-like signal: a glottal pulse train (f0 wandering 100–200 Hz) through
/// moving formants, with a syllable envelope. Never steady like a tone, never silent.
fn speech(len: usize, seed: u32) -> Vec<i16> {
    let two_pi = std::f64::consts::TAU;
    let s = f64::from(seed);
    let mut phase = 0.0f64;
    (0..len)
        .map(|n| {
            let t = n as f64 / RATE as f64;
            let f0 = 150.0
                + 35.0 * (two_pi * (0.7 + 0.1 * s) * t).sin()
                + 15.0 * (two_pi * 2.3 * t).sin();
            phase += two_pi * f0 / RATE as f64;
            let f1 = 600.0 + 200.0 * (two_pi * 1.1 * t + s).sin();
            let f2 = 1600.0 + 500.0 * (two_pi * 0.9 * t + 2.0 * s).sin();
            let mut v = 0.0;
            for k in 1..=20 {
                let fk = k as f64 * f0;
                if fk > 3800.0 {
                    break;
                }
                let w = (-((fk - f1) / 250.0).powi(2)).exp()
                    + 0.6 * (-((fk - f2) / 350.0).powi(2)).exp()
                    + 0.05;
                v += w * (k as f64 * phase).sin();
            }
            let env = 0.35 + 0.65 * (std::f64::consts::PI * 3.3 * t + s).sin().abs();
            (v * env * 2600.0).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// Line noise at about −67 dBFS: "silence" as a real line delivers it.
fn noise(len: usize, seed: u32) -> Vec<i16> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((x >> 16) % 51) as i16 - 25
        })
        .collect()
}

/// One simulated call: drives the session every 20 ms and collects what comes out.
struct Call {
    s: VoicemailSession,
    now: Duration,
    heard: Vec<i16>,
    started: Option<Duration>,
    finished: Option<(Duration, Outcome)>,
    closing_at: Option<Duration>,
}

impl Call {
    fn new(config: VoicemailConfig, path: &Path) -> Self {
        Call {
            s: VoicemailSession::new("test-call", config, path),
            now: Duration::ZERO,
            heard: Vec::new(),
            started: None,
            finished: None,
            closing_at: None,
        }
    }

    fn drain(&mut self) {
        if self.closing_at.is_none() && self.s.phase() == Phase::Closing {
            self.closing_at = Some(self.now);
        }
        while let Some(ev) = self.s.poll_event() {
            assert!(self.finished.is_none(), "event after Finished: {ev:?}");
            match ev {
                VoicemailEvent::RecordingStarted { at } => {
                    assert!(self.started.is_none(), "recording started twice");
                    self.started = Some(at);
                }
                VoicemailEvent::Finished(outcome) => {
                    assert!(self.s.is_finished());
                    // What the media call does once the call is over, off its thread.
                    self.s.close().expect("recording finalised");
                    self.finished = Some((self.now, outcome));
                }
            }
        }
    }

    /// The second half of a 20 ms step: the caller's frame (`None` = lost, `Some(&[])` =
    /// nothing arrived at all), what the caller hears, then time moves on.
    fn feed(&mut self, frame: Option<&[i16]>) {
        match frame {
            Some([]) => {}
            Some(f) => self.s.on_audio(self.now, f),
            None => self.s.on_missing_audio(self.now, FRAME_SAMPLES),
        }
        self.drain();
        while let Some(out) = self.s.poll_audio(self.now) {
            self.heard.extend_from_slice(&out);
        }
        self.drain();
        self.now += TICK;
    }

    fn tick(&mut self) {
        self.s.on_tick(self.now);
        self.drain();
    }

    fn step(&mut self, frame: Option<&[i16]>) {
        self.tick();
        self.feed(frame);
    }

    /// Line noise from the caller until recording starts (the frame at that moment is not fed
    /// yet, so the next `play` is the first audio recorded). Returns the start time.
    fn until_recording(&mut self) -> Duration {
        let quiet = noise(FRAME_SAMPLES, 9);
        for _ in 0..3000 {
            self.tick();
            if let Some(at) = self.started {
                return at;
            }
            assert!(
                self.finished.is_none(),
                "finished before recording: {:?}",
                self.finished
            );
            self.feed(Some(&quiet));
        }
        panic!("recording never started");
    }

    /// Sends `audio` in 20 ms frames until it runs out or the session finishes.
    fn play(&mut self, audio: &[i16]) {
        for frame in audio.chunks(FRAME_SAMPLES) {
            if self.finished.is_some() {
                return;
            }
            self.step(Some(frame));
        }
    }

    fn hangup(&mut self) {
        self.s.on_hangup(self.now);
        self.drain();
    }

    fn outcome(&self) -> &Outcome {
        &self.finished.as_ref().expect("session not finished").1
    }
}

fn message(outcome: &Outcome) -> (&PathBuf, Duration, u64, StopReason) {
    match outcome {
        Outcome::Message {
            path,
            duration,
            samples,
            stopped_by,
        } => (path, *duration, *samples, *stopped_by),
        other => panic!("expected a message, got {other:?}"),
    }
}

fn dir_and_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message.wav");
    (dir, path)
}

#[test]
fn full_flow_greeting_beep_message_until_hangup() {
    let (_dir, path) = dir_and_path();
    let greeting = speech(secs(1.0), 7);
    let mut call = Call::new(VoicemailConfig::new(greeting.clone()), &path);
    assert_eq!(call.s.phase(), Phase::Greeting);
    let started = call.until_recording();
    // 1 s greeting + 0.5 s beep.
    assert_eq!(started, Duration::from_millis(1500));
    assert_eq!(call.heard.len(), secs(1.5));
    assert_eq!(
        &call.heard[..greeting.len()],
        &greeting[..],
        "greeting played verbatim"
    );
    let beep = &call.heard[secs(1.0)..secs(1.5)];
    let beep_level = tone_level_dbfs(beep, 1000.0, 8000);
    assert!(
        (beep_level + 14.0).abs() < 1.5,
        "beep at 1 kHz: {beep_level} dBFS"
    );
    let greeting_1k = tone_level_dbfs(&call.heard[..secs(1.0)], 1000.0, 8000);
    assert!(
        greeting_1k < beep_level - 15.0,
        "greeting 1 kHz {greeting_1k} dBFS"
    );

    let said = speech(secs(5.0), 1);
    call.play(&said);
    assert_eq!(call.s.phase(), Phase::Recording);
    assert_eq!(call.s.recorded(), Duration::from_secs(5));
    call.hangup();
    let (p, duration, samples, stopped_by) = message(call.outcome());
    assert_eq!(p, &path);
    assert_eq!(stopped_by, StopReason::Hangup);
    assert_eq!(duration, Duration::from_secs(5));
    assert_eq!(samples, said.len() as u64);
    let wav = read_wav_file(&path).unwrap();
    assert_eq!(wav, said, "the file holds exactly what the caller sent");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 2 * samples);
    // While recording the caller heard silence; once finished nothing more is sent.
    assert!(call.heard[secs(1.5)..].iter().all(|&s| s == 0));
    assert!(call.s.poll_audio(call.now).is_none());
    assert!(call.s.is_finished());
}

#[test]
fn stop_digit_ends_message_without_the_key_tone_then_closing_tone() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    let started = call.until_recording();
    assert_eq!(
        started,
        Duration::from_millis(500),
        "no greeting: just the beep"
    );
    let said = speech(secs(3.0), 2);
    call.play(&said);
    // The phone sends the key in band too; its RFC 4733 event arrives 40 ms into the tone.
    let key = tones::dtmf("#", 80, 0).unwrap();
    call.play(&key[..320]);
    call.s.on_dtmf(call.now, '#');
    call.drain();
    assert_eq!(
        call.s.phase(),
        Phase::Closing,
        "the closing tone plays first"
    );
    let digit_at = call.now;
    let heard_before = call.heard.len();
    call.play(&key[320..]);
    for _ in 0..100 {
        if call.finished.is_some() {
            break;
        }
        call.step(Some(&[]));
    }
    let (finished_at, _) = call.finished.as_ref().unwrap();
    let closing = *finished_at - digit_at;
    assert!(
        closing >= Duration::from_millis(580) && closing <= Duration::from_millis(640),
        "closing tone lasted {closing:?}"
    );
    let closing_audio = &call.heard[heard_before..];
    assert!(tone_level_dbfs(closing_audio, 1000.0, 8000) > -25.0);

    let (_, duration, samples, stopped_by) = message(call.outcome());
    assert_eq!(stopped_by, StopReason::Digit);
    let keep = said.len() + 320 - secs(DIGIT_GUARD.as_secs_f64());
    assert_eq!(samples as usize, keep);
    assert_eq!(duration, Duration::from_millis(2940));
    let wav = read_wav_file(&path).unwrap();
    assert_eq!(wav, said[..keep], "speech kept, key tone cut");
    for f in [941.0, 1477.0] {
        let level = tone_level_dbfs(&wav[wav.len() - 800..], f, 8000);
        assert!(level < -30.0, "{f} Hz at {level} dBFS in the file's end");
    }
}

#[test]
fn skip_digit_during_greeting_jumps_to_the_beep() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(speech(secs(5.0), 3)), &path);
    let quiet = noise(FRAME_SAMPLES, 1);
    for _ in 0..50 {
        call.step(Some(&quiet));
    }
    assert_eq!(call.now, Duration::from_secs(1));
    call.s.on_dtmf(call.now, '5'); // other keys do nothing
    assert_eq!(call.s.phase(), Phase::Greeting);
    call.s.on_dtmf(call.now, '#');
    let started = call.until_recording();
    assert_eq!(started, Duration::from_millis(1500));
    let beep = &call.heard[secs(1.0)..secs(1.5)];
    assert!((tone_level_dbfs(beep, 1000.0, 8000) + 14.0).abs() < 1.5);
    call.play(&speech(secs(2.0), 4));
    call.hangup();
    assert_eq!(message(call.outcome()).1, Duration::from_secs(2));
}

#[test]
fn trailing_silence_stops_and_is_trimmed() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    let started = call.until_recording();
    let said = speech(secs(4.0), 5);
    call.play(&said);
    call.play(&noise(secs(30.0), 5));
    let (_, duration, samples, stopped_by) = message(call.outcome());
    assert_eq!(stopped_by, StopReason::Silence);
    // Stopped 10 s after the last sound, then the closing tone.
    let stop = call.closing_at.unwrap() - started;
    assert!(
        stop >= Duration::from_secs(14) - TICK && stop <= Duration::from_millis(14_040),
        "stopped {stop:?} after recording began"
    );
    assert!(
        duration >= Duration::from_secs(4) && duration <= Duration::from_secs(4) + TRIM_TAIL,
        "trimmed to {duration:?}"
    );
    let wav = read_wav_file(&path).unwrap();
    assert_eq!(wav.len() as u64, samples);
    assert_eq!(&wav[..said.len()], &said[..]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 2 * samples);
    assert_eq!(
        trailing_silence_start(&wav, -45.0, 1000),
        None,
        "no second of silence left at the end"
    );
}

#[test]
fn max_length_is_exact() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(speech(secs(0.5), 6)), &path);
    let started = call.until_recording();
    let said = speech(secs(185.0), 8);
    call.play(&said);
    let (_, duration, samples, stopped_by) = message(call.outcome());
    assert_eq!(stopped_by, StopReason::MaxLength);
    assert_eq!(duration, Duration::from_secs(180));
    assert_eq!(samples, 180 * 8000);
    // The frame that completed the 180 s arrived 179.98 s after the first one.
    assert_eq!(
        call.closing_at.unwrap() - started,
        Duration::from_secs(180) - TICK
    );
    let wav = read_wav_file(&path).unwrap();
    assert_eq!(wav, said[..180 * 8000]);
    // The caller heard the closing pips after the silence.
    let end = &call.heard[call.heard.len() - secs(0.6)..];
    assert!(tone_level_dbfs(end, 1000.0, 8000) > -25.0);
}

#[test]
fn short_message_is_a_missed_call_and_keeps_nothing() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    call.until_recording();
    assert!(path.exists(), "streamed to disk while recording");
    call.play(&speech(secs(0.5), 9));
    call.hangup();
    match call.outcome() {
        Outcome::MissedCall {
            reason:
                MissedReason::TooShort {
                    duration,
                    stopped_by: StopReason::Hangup,
                },
        } => assert_eq!(*duration, Duration::from_millis(500)),
        other => panic!("{other:?}"),
    }
    assert!(!path.exists());
}

#[test]
fn silent_recordings_are_missed_calls() {
    // Nothing but line noise until the silence rule: trimmed to nothing.
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    call.until_recording();
    call.play(&noise(secs(20.0), 2));
    assert!(matches!(
        call.outcome(),
        Outcome::MissedCall {
            reason: MissedReason::TooShort {
                stopped_by: StopReason::Silence,
                ..
            }
        }
    ));
    assert!(!path.exists());
    // 3 s of line noise then '#': long enough, but no sound in it.
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    call.until_recording();
    call.play(&noise(secs(3.0), 3));
    call.s.on_dtmf(call.now, '#');
    call.play(&noise(secs(2.0), 3));
    assert!(matches!(
        call.outcome(),
        Outcome::MissedCall {
            reason: MissedReason::NoSpeech {
                stopped_by: StopReason::Digit,
                ..
            }
        }
    ));
    assert!(!path.exists());
}

#[test]
fn hangup_during_greeting_is_a_missed_call() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(speech(secs(3.0), 1)), &path);
    call.play(&noise(secs(1.0), 1));
    assert_eq!(call.s.phase(), Phase::Greeting);
    call.hangup();
    assert!(matches!(
        call.outcome(),
        Outcome::MissedCall {
            reason: MissedReason::HungUpBeforeRecording
        }
    ));
    assert!(call.started.is_none());
    assert!(!path.exists());
    assert!(call.s.poll_audio(call.now).is_none());
}

fn switched_at(call: &Call) -> Duration {
    match call.outcome() {
        Outcome::SwitchToFax { at } => *at,
        other => panic!("expected SwitchToFax, got {other:?}"),
    }
}

#[test]
fn cng_during_greeting_switches_to_fax() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(default_greeting()), &path);
    // A fax machine calls: CNG from the answer (first burst 0–0.5 s).
    call.play(&tones::cng(3));
    let at = switched_at(&call);
    assert!(at < Duration::from_secs(1), "switched at {at:?}");
    assert!(at >= Duration::from_millis(300), "switched at {at:?}");
    assert!(call.started.is_none());
    assert!(!path.exists(), "no voice file for a fax call");
    assert!(call.s.poll_audio(call.now).is_none());
}

#[test]
fn cng_during_recording_switches_to_fax_and_drops_the_partial_recording() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(speech(secs(1.0), 2)), &path);
    call.until_recording();
    call.play(&speech(secs(2.0), 3));
    // Someone pressed "start" on a fax machine after hearing the beep.
    let burst = call.now;
    call.play(&tones::cng(2));
    let at = switched_at(&call);
    assert!(
        at - burst < Duration::from_secs(1),
        "{:?} after the burst",
        at - burst
    );
    assert!(!path.exists());
}

#[test]
fn speech_never_switches_to_fax() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::new(default_greeting()), &path);
    // The caller talks over the greeting, then leaves a long message of real and synthetic speech.
    let mut caller = default_greeting();
    caller.extend(noise(secs(2.0), 4));
    call.play(&caller);
    call.until_recording();
    let mut said = default_greeting();
    said.extend(speech(secs(20.0), 11));
    said.extend(default_greeting());
    call.play(&said);
    call.hangup();
    let (_, duration, ..) = message(call.outcome());
    assert!(duration >= Duration::from_secs(30), "{duration:?}");
}

#[test]
fn cng_after_the_detection_window_is_recorded_not_switched() {
    let (_dir, path) = dir_and_path();
    let config = VoicemailConfig {
        fax_detect_window: Duration::from_secs(5),
        ..VoicemailConfig::default()
    };
    let mut call = Call::new(config, &path);
    call.until_recording();
    call.play(&speech(secs(6.0), 1));
    call.play(&tones::cng(1));
    call.hangup();
    let (_, duration, ..) = message(call.outcome());
    assert_eq!(
        duration,
        Duration::from_secs(6) + Duration::from_millis(500) + TRIM_TAIL
    );
}

#[test]
fn lost_frames_keep_the_timeline() {
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    call.until_recording();
    let said = speech(secs(5.0), 12);
    for (i, frame) in said.chunks(FRAME_SAMPLES).enumerate() {
        call.step(if i % 7 == 3 { None } else { Some(frame) });
    }
    call.hangup();
    let (_, duration, ..) = message(call.outcome());
    assert_eq!(duration, Duration::from_secs(5));
    let wav = read_wav_file(&path).unwrap();
    for (i, (got, sent)) in wav
        .chunks(FRAME_SAMPLES)
        .zip(said.chunks(FRAME_SAMPLES))
        .enumerate()
    {
        if i % 7 == 3 {
            assert!(got.iter().all(|&s| s == 0), "lost frame {i} is silence");
        } else {
            assert_eq!(got, sent, "frame {i}");
        }
    }
}

#[test]
fn dead_audio_stream_ends_by_silence() {
    // RTP stops without a BYE: ticks alone keep the clock, so the silence rule still ends it.
    let (_dir, path) = dir_and_path();
    let mut call = Call::new(VoicemailConfig::default(), &path);
    let started = call.until_recording();
    let said = speech(secs(2.0), 13);
    call.play(&said);
    for _ in 0..1000 {
        if call.finished.is_some() {
            break;
        }
        call.step(Some(&[]));
    }
    let (_, duration, _, stopped_by) = message(call.outcome());
    assert_eq!(stopped_by, StopReason::Silence);
    assert_eq!(duration, Duration::from_secs(2) + TRIM_TAIL);
    let stop = call.closing_at.unwrap() - started;
    assert!(
        stop >= Duration::from_secs(12) && stop <= Duration::from_millis(12_600),
        "{stop:?}"
    );
    assert_eq!(read_wav_file(&path).unwrap()[..said.len()], said[..]);
}

fn create_error(call: &mut Call) -> String {
    call.drain();
    assert!(call.s.is_finished());
    assert!(
        call.s.poll_audio(Duration::ZERO).is_none(),
        "no greeting for a call we cannot record"
    );
    match call.outcome() {
        Outcome::Failed {
            error: error @ VoicemailError::Create { .. },
        } => error.to_string(),
        other => panic!("expected Failed(Create), got {other:?}"),
    }
}

#[test]
fn unusable_recording_path_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("m.wav");
    let mut call = Call::new(VoicemailConfig::default(), &missing);
    let msg = create_error(&mut call);
    assert!(msg.contains("no-such-folder"), "{msg}");
    assert!(msg.contains("No such file or directory"), "{msg}");
    // Inputs after the failure are ignored, not a panic.
    call.s.on_audio(Duration::ZERO, &[0; 160]);
    call.s.on_dtmf(Duration::ZERO, '#');
    call.s.on_tick(Duration::from_secs(1));
    call.s.on_hangup(Duration::from_secs(1));
    assert!(call.s.poll_event().is_none());

    // An existing file is never overwritten.
    let existing = dir.path().join("taken.wav");
    std::fs::write(&existing, b"precious").unwrap();
    let mut call = Call::new(VoicemailConfig::default(), &existing);
    let msg = create_error(&mut call);
    assert!(msg.contains("taken.wav"), "{msg}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");

    // A read-only folder (only meaningful when not running as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(ro.join("probe"), b"").is_err() {
            let mut call = Call::new(VoicemailConfig::default(), &ro.join("m.wav"));
            let msg = create_error(&mut call);
            assert!(msg.contains("Permission denied"), "{msg}");
        } else {
            eprintln!("running with permission override (root): read-only case not checkable");
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn inband_dtmf_option_stops_on_the_key_tone() {
    let (_dir, path) = dir_and_path();
    let config = VoicemailConfig {
        inband_dtmf: true,
        ..VoicemailConfig::default()
    };
    let mut call = Call::new(config, &path);
    call.until_recording();
    let said = speech(secs(3.0), 14);
    call.play(&said);
    call.play(&tones::dtmf("#", 100, 100).unwrap());
    call.play(&noise(secs(2.0), 1));
    let (_, _, samples, stopped_by) = message(call.outcome());
    assert_eq!(stopped_by, StopReason::Digit);
    let wav = read_wav_file(&path).unwrap();
    assert!(samples as usize <= said.len(), "{samples} samples kept");
    assert!(
        samples as usize >= said.len() - secs(0.2),
        "{samples} samples kept"
    );
    assert_eq!(wav, said[..wav.len()], "only speech kept");
}
