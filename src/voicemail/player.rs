//! What the caller hears, as a function of time: greeting, beep, silence, closing tone.
//!
//! The programme is laid out on the session's sample clock (8 kHz samples since the start), so
//! the phase changes do not depend on whether or how regularly the gateway polls audio, and a
//! gateway that polls late skips ahead instead of drifting behind the clock.

use faxvox_codecs::tones::{self, Segment, BEEP_HZ, BEEP_LEVEL_DBFS};

use super::FRAME_SAMPLES;

/// If the gateway is more than this many samples (100 ms) late polling, the frames in between
/// are skipped: bursting them out would only overflow the far end's jitter buffer.
const MAX_LAG: u64 = 5 * FRAME_SAMPLES as u64;

/// The closing tone the caller hears when the session ends the call: three short pips.
pub(super) fn closing_tone() -> Vec<i16> {
    let pips: Vec<Segment> = (0..3)
        .flat_map(|_| {
            [
                Segment::tone(BEEP_HZ, 120, BEEP_LEVEL_DBFS),
                Segment::silence(80),
            ]
        })
        .collect();
    tones::render(&pips)
}

#[derive(Debug)]
pub(super) struct Player {
    greeting: Vec<i16>,
    beep: Vec<i16>,
    closing: Vec<i16>,
    /// End of the greeting (its length, or earlier when skipped).
    pub greeting_end: u64,
    /// End of the beep (= `greeting_end` without a beep): recording starts here.
    pub beep_end: u64,
    /// The closing tone, once scheduled.
    close: Option<(u64, u64)>,
    /// Next sample to send; always a multiple of [`FRAME_SAMPLES`].
    out_pos: u64,
}

impl Player {
    pub fn new(greeting: Vec<i16>, beep: Vec<i16>) -> Self {
        let greeting_end = greeting.len() as u64;
        let beep_end = greeting_end + beep.len() as u64;
        Player {
            greeting,
            beep,
            closing: closing_tone(),
            greeting_end,
            beep_end,
            close: None,
            out_pos: 0,
        }
    }

    /// The sample the next frame starts at.
    pub fn out_pos(&self) -> u64 {
        self.out_pos
    }

    /// Cuts the greeting at the next frame not yet sent (or at `t`, if the gateway is behind)
    /// and moves the beep up. No-op once the greeting has ended.
    pub fn skip_greeting(&mut self, t: u64) {
        let cut = self.out_pos.max(t);
        if cut < self.greeting_end {
            self.greeting_end = cut;
            self.beep_end = cut + self.beep.len() as u64;
        }
    }

    /// Schedules the closing tone from the next unsent frame (or `t`); returns when it ends.
    pub fn schedule_closing(&mut self, t: u64) -> u64 {
        let start = self.out_pos.max(t);
        let end = start + self.closing.len() as u64;
        self.close = Some((start, end));
        end
    }

    /// The next frame if one is due at sample time `t`.
    pub fn next_frame(&mut self, t: u64) -> Option<[i16; FRAME_SAMPLES]> {
        if self.out_pos > t {
            return None;
        }
        if t - self.out_pos > MAX_LAG {
            self.out_pos = t - t % FRAME_SAMPLES as u64;
        }
        let mut frame = [0i16; FRAME_SAMPLES];
        for (i, s) in frame.iter_mut().enumerate() {
            *s = self.sample(self.out_pos + i as u64);
        }
        self.out_pos += FRAME_SAMPLES as u64;
        Some(frame)
    }

    fn sample(&self, s: u64) -> i16 {
        let at = |v: &[i16], i: u64| v.get(i as usize).copied().unwrap_or(0);
        if s < self.greeting_end {
            at(&self.greeting, s)
        } else if s < self.beep_end {
            at(&self.beep, s - self.greeting_end)
        } else {
            match self.close {
                Some((start, end)) if (start..end).contains(&s) => at(&self.closing, s - start),
                _ => 0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_per_tick_then_greeting_beep_silence() {
        let greeting: Vec<i16> = (1..=400).collect();
        let beep = vec![7i16; 200];
        let mut p = Player::new(greeting.clone(), beep);
        let mut heard = Vec::new();
        for tick in 0..5u64 {
            let t = tick * 160;
            let f = p.next_frame(t).expect("frame due");
            heard.extend_from_slice(&f);
            assert!(p.next_frame(t).is_none(), "only one frame per tick");
        }
        assert_eq!(&heard[..400], &greeting[..]);
        assert!(heard[400..600].iter().all(|&s| s == 7));
        assert!(heard[600..].iter().all(|&s| s == 0));
    }

    #[test]
    fn late_polling_skips_ahead_and_skip_cuts_greeting() {
        let mut p = Player::new(vec![1; 8000], vec![2; 160]);
        p.next_frame(0).unwrap();
        // 1 s late: jump to the frame at t.
        let f = p.next_frame(8000 - 160).unwrap();
        assert_eq!(p.out_pos(), 8000);
        assert!(f.iter().all(|&s| s == 1));
        let mut p = Player::new(vec![1; 8000], vec![2; 160]);
        p.next_frame(0).unwrap();
        p.skip_greeting(100);
        assert_eq!((p.greeting_end, p.beep_end), (160, 320));
        assert!(p.next_frame(160).unwrap().iter().all(|&s| s == 2));
        let end = p.schedule_closing(320);
        assert_eq!(end, 320 + closing_tone().len() as u64);
    }
}
