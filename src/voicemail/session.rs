//! [`VoicemailSession`]: the state machine (see the module docs for the flow and time model).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faxvox_codecs::recording::WavRecorder;
use faxvox_codecs::tones;
use tracing::{debug, info, warn};

use super::player::Player;
use super::recorder::{Limit, Take};
use super::{
    samples_in, samples_to_duration, MissedReason, Outcome, StopReason, VoicemailConfig,
    VoicemailError, VoicemailEvent, DIGIT_GUARD, FRAME_SAMPLES, HANGUP_TRIM_MIN, TRIM_TAIL,
};
use crate::fax::tones::{DetectorConfig, Edge, Tone, ToneDetector};

/// If caller audio stops entirely (no frames and no `on_missing_audio`) for this long while
/// recording, `on_tick` records the missing time as silence, so a dead RTP stream without a BYE
/// still ends by the silence or length rule and the timeline stays true.
const AUDIO_STALL: Duration = Duration::from_millis(500);

/// Largest gap one `on_missing_audio` call is taken to mean (longer is clamped): nothing longer
/// than the longest message plus a minute can matter, and it bounds the work per call.
const MAX_GAP_EXTRA: Duration = Duration::from_secs(60);

const ZEROS: [i16; FRAME_SAMPLES] = [0; FRAME_SAMPLES];

/// Where a session is; see [`VoicemailSession::phase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The greeting is playing.
    Greeting,
    /// The beep is playing.
    Beep,
    /// The caller's audio is being recorded.
    Recording,
    /// The recording is stored; the closing tone is playing before the session ends.
    Closing,
    /// Over: the `Finished` event has been queued.
    Done,
}

/// One voicemail call. See the [module docs](super) for the flow.
///
/// Drive it every 20 ms: `on_audio` (or `on_missing_audio`) with the caller's frame, `on_tick`,
/// then `while let Some(frame) = poll_audio(now)` to send, and drain `poll_event`.
pub struct VoicemailSession {
    call_id: String,
    config: VoicemailConfig,
    path: PathBuf,
    phase: Phase,
    /// The `now` of the first call: sample 0 of the session clock.
    start: Option<Duration>,
    player: Player,
    /// The file, created up front so a bad folder fails before the greeting plays.
    wav: Option<WavRecorder>,
    take: Option<Take>,
    /// A stopped recording whose file is not finalised yet (see [`VoicemailSession::close`]).
    unfinished: Option<Unfinished>,
    /// Caller samples received so far (audio and gaps): the detectors' time base.
    in_samples: u64,
    /// `in_samples` when recording began (detector position → recording position).
    rec_in_start: u64,
    /// Session time (since start) when recording began.
    rec_started: Duration,
    fax_detector: Option<ToneDetector>,
    dtmf_detector: Option<ToneDetector>,
    /// The outcome waiting for the closing tone to end, and when that tone ends (samples).
    pending: Option<Outcome>,
    closing_end: Option<u64>,
    events: VecDeque<VoicemailEvent>,
}

/// A session dropped without [`VoicemailSession::close`] still leaves a finalised file.
impl Drop for VoicemailSession {
    fn drop(&mut self) {
        if let Err(error) = self.close() {
            warn!(call_id = %self.call_id, %error, "recording not finalised");
        }
    }
}

/// See [`VoicemailSession::close`].
#[derive(Debug)]
struct Unfinished {
    take: Take,
    /// Samples to keep (the file is cut to this if it is longer).
    keep: u64,
    /// Not a message (too short, no speech): the file is deleted.
    discard: bool,
}

impl std::fmt::Debug for VoicemailSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoicemailSession")
            .field("call_id", &self.call_id)
            .field("path", &self.path)
            .field("phase", &self.phase)
            .field("recorded", &self.recorded())
            .finish_non_exhaustive()
    }
}

impl VoicemailSession {
    /// Creates the session and the recording file at `recording_path` (which must not exist:
    /// a recording is never overwritten). If the file cannot be created the session is already
    /// over: the first event is `Finished(Failed)` with the reason, before any greeting plays,
    /// so the gateway can reject or reroute the call instead of taking a message it would lose.
    pub fn new(
        call_id: impl Into<String>,
        config: VoicemailConfig,
        recording_path: impl Into<PathBuf>,
    ) -> Self {
        let call_id = call_id.into();
        let path = recording_path.into();
        let beep = if config.beep {
            tones::beep()
        } else {
            Vec::new()
        };
        let player = Player::new(config.greeting.clone(), beep);
        let detector = |cfg: DetectorConfig, what: &str| match ToneDetector::new(cfg, &call_id) {
            Ok(d) => Some(d),
            Err(e) => {
                // A missing detector must not cost the caller their message.
                warn!(call_id = %call_id, error = %e, "{what} detection unavailable");
                None
            }
        };
        let fax_detector = config
            .fax_detect
            .then(|| {
                detector(
                    DetectorConfig {
                        cng: true,
                        ced_or_preamble: false,
                        dtmf: false,
                    },
                    "fax tone",
                )
            })
            .flatten();
        let dtmf_detector = config
            .inband_dtmf
            .then(|| {
                detector(
                    DetectorConfig {
                        cng: false,
                        ced_or_preamble: false,
                        dtmf: true,
                    },
                    "in-band DTMF",
                )
            })
            .flatten();
        let mut session = VoicemailSession {
            call_id,
            config,
            path,
            phase: Phase::Greeting,
            start: None,
            player,
            wav: None,
            take: None,
            unfinished: None,
            in_samples: 0,
            rec_in_start: 0,
            rec_started: Duration::ZERO,
            fax_detector,
            dtmf_detector,
            pending: None,
            closing_end: None,
            events: VecDeque::new(),
        };
        match WavRecorder::create(&session.path) {
            Ok(wav) => {
                debug!(
                    call_id = %session.call_id,
                    path = %session.path.display(),
                    greeting_ms = session.config.greeting.len() / 8,
                    "voicemail session created"
                );
                session.wav = Some(wav);
            }
            Err(source) => {
                let error = VoicemailError::Create {
                    path: session.path.clone(),
                    source,
                };
                warn!(call_id = %session.call_id, %error, "voicemail cannot record");
                session.done(Outcome::Failed { error });
            }
        }
        session
    }

    /// The call id every log line carries.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The recording file (it exists only while recording and after a `Message` outcome).
    pub fn recording_path(&self) -> &Path {
        &self.path
    }

    /// Where the session is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// True once the `Finished` event has been queued: nothing more to play, send BYE (or hand
    /// the call to fax).
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Audio recorded so far.
    pub fn recorded(&self) -> Duration {
        samples_to_duration(self.take.as_ref().map_or(0, Take::written))
    }

    /// When the next output frame is due (in the caller's epoch); `None` once finished. A
    /// gateway that ticks every 20 ms can ignore it.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.is_finished() {
            return None;
        }
        let start = self.start.unwrap_or(Duration::ZERO);
        Some(start + samples_to_duration(self.player.out_pos()))
    }

    /// A 20 ms frame of the caller's audio (8 kHz linear, decoded from G.711). Frames of other
    /// sizes are accepted; what counts is the samples.
    pub fn on_audio(&mut self, now: Duration, samples: &[i16]) {
        self.mark_start(now);
        if self.is_finished() {
            return;
        }
        self.advance(now);
        self.input(now, Some(samples), samples.len());
    }

    /// `samples` of the caller's audio were lost (a hole the reorder buffer gave up on). They
    /// are recorded as silence, so the message keeps its true timeline.
    pub fn on_missing_audio(&mut self, now: Duration, samples: usize) {
        self.mark_start(now);
        if self.is_finished() {
            return;
        }
        self.advance(now);
        self.input_gap(now, samples as u64);
    }

    /// A DTMF key from any source (RFC 4733 events, SIP INFO, an external detector), at the
    /// moment it started. The skip digit during the greeting jumps to the beep; the stop digit
    /// while recording ends the message. Other keys are ignored.
    pub fn on_dtmf(&mut self, now: Duration, digit: char) {
        self.mark_start(now);
        if self.is_finished() {
            return;
        }
        self.advance(now);
        self.digit(now, digit, None);
    }

    /// The caller hung up (BYE or CANCEL). A recording in progress is finished and kept (if long
    /// enough); during the greeting or beep it is a missed call; during the closing tone the
    /// pending outcome is reported at once.
    pub fn on_hangup(&mut self, now: Duration) {
        self.mark_start(now);
        match self.phase {
            Phase::Greeting | Phase::Beep => {
                info!(call_id = %self.call_id, phase = ?self.phase, "caller hung up before the beep");
                self.wav = None;
                self.discard_file();
                self.done(Outcome::MissedCall {
                    reason: MissedReason::HungUpBeforeRecording,
                });
            }
            Phase::Recording => self.stop(now, StopReason::Hangup, None),
            Phase::Closing => {
                if let Some(outcome) = self.pending.take() {
                    self.done(outcome);
                }
            }
            Phase::Done => {}
        }
    }

    /// Time passes (call every 20 ms): moves from greeting to beep to recording, ends the
    /// closing tone, and covers a stalled audio stream with silence.
    pub fn on_tick(&mut self, now: Duration) {
        self.mark_start(now);
        if self.is_finished() {
            return;
        }
        self.advance(now);
        if self.phase == Phase::Recording {
            let due = samples_in(self.elapsed(now).saturating_sub(self.rec_started));
            let got = self.in_samples - self.rec_in_start;
            if due > got + samples_in(AUDIO_STALL) {
                let gap = due - got - FRAME_SAMPLES as u64;
                debug!(call_id = %self.call_id, gap_ms = gap / 8, "caller audio stalled: recording silence");
                self.input_gap(now, gap);
            }
        }
    }

    /// The next 20 ms the caller should hear, if one is due at `now` (loop until `None`):
    /// greeting, beep, then silence while recording (keeps RTP flowing through NATs), the closing
    /// tone, and `None` for good once finished. A gateway more than 100 ms late skips ahead.
    pub fn poll_audio(&mut self, now: Duration) -> Option<[i16; FRAME_SAMPLES]> {
        self.mark_start(now);
        if self.is_finished() {
            return None;
        }
        self.advance(now);
        if self.is_finished() {
            return None;
        }
        let t = self.t(now);
        self.player.next_frame(t)
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<VoicemailEvent> {
        self.events.pop_front()
    }

    fn mark_start(&mut self, now: Duration) {
        if self.start.is_none() {
            self.start = Some(now);
        }
    }

    fn elapsed(&self, now: Duration) -> Duration {
        self.start.map_or(Duration::ZERO, |s| now.saturating_sub(s))
    }

    /// Session time in samples.
    fn t(&self, now: Duration) -> u64 {
        samples_in(self.elapsed(now))
    }

    /// Runs the time-driven transitions.
    fn advance(&mut self, now: Duration) {
        let t = self.t(now);
        loop {
            match self.phase {
                Phase::Greeting if t >= self.player.greeting_end => {
                    self.phase = Phase::Beep;
                    debug!(call_id = %self.call_id, "greeting done");
                }
                Phase::Beep if t >= self.player.beep_end => self.start_recording(now),
                _ => break,
            }
        }
        if let Phase::Closing = self.phase {
            if self.closing_end.is_some_and(|end| t >= end) {
                if let Some(outcome) = self.pending.take() {
                    self.done(outcome);
                }
            }
        }
        if self.fax_detector.is_some()
            && matches!(self.phase, Phase::Recording | Phase::Closing)
            && self.elapsed(now) >= self.config.fax_detect_window
        {
            debug!(call_id = %self.call_id, "fax detection window over");
            self.fax_detector = None;
        }
    }

    fn start_recording(&mut self, now: Duration) {
        let Some(wav) = self.wav.take() else {
            // Cannot happen (a failed create ends the session), but never record into nothing.
            self.phase = Phase::Done;
            return;
        };
        self.take = Some(Take::new(
            wav,
            samples_in(self.config.max_record),
            self.config.silence_threshold_dbfs,
            samples_in(self.config.trailing_silence),
        ));
        self.phase = Phase::Recording;
        self.rec_in_start = self.in_samples;
        self.rec_started = self.elapsed(now);
        info!(call_id = %self.call_id, path = %self.path.display(), "recording started");
        self.events
            .push_back(VoicemailEvent::RecordingStarted { at: now });
    }

    /// A gap of `n` samples, clamped (see [`MAX_GAP_EXTRA`]).
    fn input_gap(&mut self, now: Duration, n: u64) {
        let cap = samples_in(self.config.max_record.saturating_add(MAX_GAP_EXTRA));
        let n = usize::try_from(n.min(cap)).unwrap_or(usize::MAX);
        self.input(now, None, n);
    }

    /// Caller audio (or a gap of `n` samples when `samples` is `None`): detectors, recording.
    fn input(&mut self, now: Duration, samples: Option<&[i16]>, n: usize) {
        for det in [&mut self.fax_detector, &mut self.dtmf_detector]
            .into_iter()
            .flatten()
        {
            match samples {
                Some(s) => det.feed(s),
                None => {
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(FRAME_SAMPLES);
                        det.feed(&ZEROS[..k]);
                        left -= k;
                    }
                }
            }
        }
        self.in_samples += n as u64;

        if self.phase == Phase::Recording {
            let result = match samples {
                Some(s) => self.take.as_mut().map(|take| take.write(s)),
                None => self.take.as_mut().map(|take| {
                    let mut left = n;
                    while left > 0 {
                        let k = left.min(FRAME_SAMPLES);
                        if let Some(limit) = take.write(&ZEROS[..k])? {
                            return Ok(Some(limit));
                        }
                        left -= k;
                    }
                    Ok(None)
                }),
            };
            match result {
                Some(Ok(Some(Limit::MaxLength))) => self.stop(now, StopReason::MaxLength, None),
                Some(Ok(Some(Limit::Silence))) => self.stop(now, StopReason::Silence, None),
                Some(Ok(None)) | None => {}
                Some(Err(source)) => {
                    let recorded = self.recorded();
                    // The partial file stays where it is for salvage.
                    self.take = None;
                    self.fail(VoicemailError::Write {
                        path: self.path.clone(),
                        recorded,
                        source,
                    });
                    return;
                }
            }
        }
        self.detections(now);
    }

    /// Acts on what the detectors confirmed.
    fn detections(&mut self, now: Duration) {
        while let Some(ev) = self
            .fax_detector
            .as_mut()
            .and_then(ToneDetector::poll_event)
        {
            if ev.tone == Tone::Cng
                && ev.edge == Edge::On
                && matches!(self.phase, Phase::Greeting | Phase::Beep | Phase::Recording)
            {
                info!(
                    call_id = %self.call_id,
                    phase = ?self.phase,
                    level_dbm0 = ev.level_dbm0,
                    "CNG heard: switching to fax"
                );
                self.switch_to_fax(now);
                return;
            }
        }
        while let Some(ev) = self
            .dtmf_detector
            .as_mut()
            .and_then(ToneDetector::poll_event)
        {
            if let (Tone::Dtmf(d), Edge::On) = (ev.tone, ev.edge) {
                if self.phase == Phase::Recording && ev.start < self.rec_in_start {
                    // Pressed during the beep, confirmed just after it: not a stop request.
                    debug!(call_id = %self.call_id, digit = %d, "in-band DTMF from before the recording ignored");
                    continue;
                }
                let pos = ev.start - self.rec_in_start.min(ev.start);
                debug!(call_id = %self.call_id, digit = %d, "in-band DTMF");
                self.digit(now, d, Some(pos));
            }
        }
    }

    /// A key; `pos` is its start in recording samples when known (in-band detection).
    fn digit(&mut self, now: Duration, digit: char, pos: Option<u64>) {
        let is = |want: char| digit.eq_ignore_ascii_case(&want);
        match self.phase {
            Phase::Greeting if self.config.skip_greeting_digit.is_some_and(is) => {
                info!(call_id = %self.call_id, %digit, "greeting skipped");
                let t = self.t(now);
                self.player.skip_greeting(t);
                self.advance(now);
            }
            Phase::Recording if is(self.config.stop_digit) => {
                let at = pos.unwrap_or_else(|| self.take.as_ref().map_or(0, Take::written));
                let keep = at.saturating_sub(samples_in(DIGIT_GUARD));
                self.stop(now, StopReason::Digit, Some(keep));
            }
            _ => debug!(call_id = %self.call_id, %digit, phase = ?self.phase, "digit ignored"),
        }
    }

    /// Ends the recording: trims, syncs, decides message or missed call. Hang-ups end at once;
    /// otherwise the closing tone plays first.
    fn stop(&mut self, now: Duration, reason: StopReason, keep: Option<u64>) {
        let Some(take) = self.take.take() else {
            return;
        };
        let written = take.written();
        let keep = keep.unwrap_or_else(|| match reason {
            StopReason::Hangup | StopReason::Silence => {
                let mut min_trim = samples_in(HANGUP_TRIM_MIN);
                if reason == StopReason::Silence && !self.config.trailing_silence.is_zero() {
                    min_trim = min_trim.min(samples_in(self.config.trailing_silence));
                }
                if written - take.loud_end() >= min_trim {
                    (take.loud_end() + samples_in(TRIM_TAIL)).min(written)
                } else {
                    written
                }
            }
            StopReason::Digit | StopReason::MaxLength => written,
        });
        let has_sound = take.has_sound_before(keep);
        // The outcome follows from the sample counts; writing the header, cutting the file and
        // syncing wait for `close`, off the media thread (a burst of `#` presses stalled every
        // call on the core for seconds when each stop synced its file here).
        let samples = keep.min(written);
        let duration = samples_to_duration(samples);
        let discard = duration < self.config.min_message || !has_sound;
        self.unfinished = Some(Unfinished {
            take,
            keep,
            discard,
        });
        let outcome = if discard {
            let reason = if duration < self.config.min_message {
                MissedReason::TooShort {
                    duration,
                    stopped_by: reason,
                }
            } else {
                MissedReason::NoSpeech {
                    duration,
                    stopped_by: reason,
                }
            };
            info!(call_id = %self.call_id, ?reason, "no message kept");
            Outcome::MissedCall { reason }
        } else {
            info!(
                call_id = %self.call_id,
                stopped_by = ?reason,
                duration_ms = duration.as_millis() as u64,
                recorded_ms = written / 8,
                path = %self.path.display(),
                "message stored"
            );
            Outcome::Message {
                path: self.path.clone(),
                duration,
                samples,
                stopped_by: reason,
            }
        };
        if reason == StopReason::Hangup {
            self.done(outcome);
        } else {
            let t = self.t(now);
            self.closing_end = Some(self.player.schedule_closing(t));
            self.pending = Some(outcome);
            self.phase = Phase::Closing;
        }
    }

    fn switch_to_fax(&mut self, now: Duration) {
        self.wav = None;
        self.take = None;
        self.discard_file();
        self.done(Outcome::SwitchToFax { at: now });
    }

    fn fail(&mut self, error: VoicemailError) {
        warn!(call_id = %self.call_id, %error, "voicemail failed");
        self.done(Outcome::Failed { error });
    }

    fn done(&mut self, outcome: Outcome) {
        self.phase = Phase::Done;
        self.fax_detector = None;
        self.dtmf_detector = None;
        self.events.push_back(VoicemailEvent::Finished(outcome));
    }

    /// Finalises the stopped recording: the kept message is cut to its length and synced with
    /// its folder, a discarded one deleted. Its disk work is why it is separate from the
    /// session's clock: the caller runs it off the media thread once the session has finished
    /// (and before the message is committed). An error turns a message into
    /// [`Outcome::Failed`], returned here with the reason; calling it again does nothing.
    pub fn close(&mut self) -> Result<(), VoicemailError> {
        let Some(Unfinished {
            take,
            keep,
            discard,
        }) = self.unfinished.take()
        else {
            return Ok(());
        };
        if discard {
            drop(take);
            self.discard_file();
            return Ok(());
        }
        take.finish(keep)
            .map(|_| ())
            .map_err(|source| VoicemailError::Finish {
                path: self.path.clone(),
                source,
            })
    }

    /// Deletes the recording file (missed call, fax): nothing half-made reaches the spool.
    fn discard_file(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!(call_id = %self.call_id, path = %self.path.display(), error = %e, "cannot delete discarded recording")
            }
        }
    }
}
