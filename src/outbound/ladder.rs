//! The retry and fallback ladder of an outbound fax, as a pure function: given what the fax
//! went through so far and the attempt that just ended, [`next`] says what to do now: dial
//! (with which fax settings), dial again at a given time, or conclude. No clock, no spool, no
//! socket: the dialer ([`super::dialer`]) feeds it `now` and does what it says, and the tests
//! below run it over simulated days.
//!
//! The rules:
//! - every page confirmed → conclude, sent;
//! - busy / no answer / temporary trunk error ([`RETRY_STATUSES`], or no response) → again
//!   [`Policy::retry`]'s delay later, until [`Policy::max_attempts`] dials or the spool's
//!   retry budget is spent, then conclude with the reason "(after N attempts)";
//! - T.30 failure after the answer → at once, with the next step of the [`fallback`] ladder
//!   (G.711 instead of T.38, then ECM off and at most 9600 bit/s), sending only the pages not
//!   yet confirmed; at most [`MAX_FALLBACKS`] of them, then conclude;
//! - anything else (unknown number, refused…) → conclude.

use std::time::{Duration, SystemTime};

use faxvox_spool::RetryPolicy;

use crate::call::dial::DialResult;
use crate::fax::Modems;
use crate::jobs::AttemptRecord;
use crate::metrics::AttemptCause;
use crate::sip::call::T38Policy;

/// SIP statuses worth dialling again later: busy, no answer, cancelled, trunk overloaded.
pub const RETRY_STATUSES: &[u16] = &[408, 480, 486, 487, 500, 503, 504, 600];

/// Most fallback attempts after T.30 failures (the ladder has two steps).
pub const MAX_FALLBACKS: u32 = 2;

/// The fax settings of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptMode {
    pub t38: T38Policy,
    pub ecm: bool,
    pub modems: Modems,
}

impl AttemptMode {
    /// Highest image modem rate this mode offers.
    pub fn max_bit_rate(&self) -> u32 {
        if self.modems.v17 {
            14_400
        } else if self.modems.v29 {
            9_600
        } else {
            4_800
        }
    }
}

/// The T.30 fallback ladder: the settings of the next attempt after a fax failed once the far
/// end answered, or `None` when nothing is left to try. First G.711 instead of T.38 (when the
/// failed call used T.38: gateways on the far side mangle it more often than audio), then
/// error correction off and the rate capped at 9600 bit/s (V.29; no V.17), which old or noisy
/// lines manage when training at 14400 fails.
pub fn fallback(mode: AttemptMode, used_t38: bool) -> Option<AttemptMode> {
    if used_t38 && mode.t38 != T38Policy::Off {
        return Some(AttemptMode {
            t38: T38Policy::Off,
            ..mode
        });
    }
    if mode.ecm || mode.modems.v17 {
        return Some(AttemptMode {
            ecm: false,
            modems: Modems {
                v17: false,
                ..mode.modems
            },
            ..mode
        });
    }
    None
}

/// What an attempt means for the fax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptVerdict {
    /// Every remaining page was confirmed.
    Sent,
    /// Busy, no answer, temporary trunk trouble: dial again later.
    Retry(String),
    /// The call was answered but the fax failed: worth a fallback attempt.
    T30(String),
    /// Do not dial again (unknown number, refused…).
    Permanent(String),
}

impl AttemptVerdict {
    /// The attempt in words, as its record keeps it: "sent", or why not.
    pub fn reason(&self) -> &str {
        match self {
            AttemptVerdict::Sent => "sent",
            AttemptVerdict::Retry(r) | AttemptVerdict::T30(r) | AttemptVerdict::Permanent(r) => r,
        }
    }
}

/// Classifies an attempt: `remaining` pages were to be sent; returns the verdict and the
/// pages confirmed in this attempt.
pub fn classify(result: &DialResult, remaining: u32) -> (AttemptVerdict, u32) {
    if !result.answered {
        let reason = match result.status {
            Some(s) => format!("{s} {}", result.reason),
            None => result.reason.clone(),
        };
        return match result.status {
            None => (AttemptVerdict::Retry(reason), 0),
            Some(s) if RETRY_STATUSES.contains(&s) => (AttemptVerdict::Retry(reason), 0),
            Some(_) => (AttemptVerdict::Permanent(reason), 0),
        };
    }
    let media = result.media.as_ref();
    match media.and_then(|m| m.fax.as_ref()) {
        Some(fax) => {
            let pages = fax.pages.min(remaining);
            if fax.success || pages >= remaining {
                (AttemptVerdict::Sent, pages)
            } else {
                (
                    AttemptVerdict::T30(format!(
                        "fax transmission failed after {pages} of {remaining} page(s): {}",
                        fax.result_text
                    )),
                    pages,
                )
            }
        }
        None => (
            AttemptVerdict::T30(format!(
                "no fax exchange: {}",
                media
                    .and_then(|m| m.error.clone())
                    .unwrap_or_else(|| result.reason.clone())
            )),
            0,
        ),
    }
}

/// The cause of an attempt for the metrics (`faxvox_outbound_attempts_total{cause}`): sent,
/// the fax failed after the answer, or why the call was not answered.
pub fn cause(result: &DialResult, verdict: &AttemptVerdict) -> AttemptCause {
    match verdict {
        AttemptVerdict::Sent => AttemptCause::Sent,
        AttemptVerdict::T30(_) => AttemptCause::FaxFailed,
        AttemptVerdict::Retry(_) | AttemptVerdict::Permanent(_) => {
            AttemptCause::unanswered(result.status)
        }
    }
}

/// The operator's rules for a fax: the trunk's T.38 policy and retry schedule, ECM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// T.38 on the trunk, for an attempt that is not a fallback.
    pub t38: T38Policy,
    /// Error correction, for an attempt that is not a fallback.
    pub ecm: bool,
    /// Dials per fax for busy / no answer (`trunk.max_attempts`).
    pub max_attempts: u32,
    /// The spool's schedule for outbound jobs (see [`Policy::new`]).
    pub retry: RetryPolicy,
}

impl Policy {
    /// The policy of a trunk: `retry_delay` between two dials after busy / no answer, at
    /// most `max_attempts` dials ([`retry_policy`]).
    pub fn new(t38: T38Policy, ecm: bool, max_attempts: u32, retry_delay: Duration) -> Policy {
        Policy {
            t38,
            ecm,
            max_attempts,
            retry: retry_policy(max_attempts, retry_delay),
        }
    }

    /// The settings of a first attempt (no fallback yet).
    pub fn first_mode(&self) -> AttemptMode {
        AttemptMode {
            t38: self.t38,
            ecm: self.ecm,
            modems: Modems::default(),
        }
    }
}

/// The spool's schedule for outbound jobs: `retry_delay` between two attempts. Its budget
/// (`give_up_after`) only bounds a job whose dialer keeps dying: `max_attempts` decides.
pub fn retry_policy(max_attempts: u32, retry_delay: Duration) -> RetryPolicy {
    RetryPolicy {
        first_delay: retry_delay,
        max_delay: retry_delay,
        give_up_after: retry_delay * (max_attempts + 1) + Duration::from_secs(86_400),
    }
}

/// Where a fax stands, as its job records it.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Pages of the document.
    pub pages: u32,
    /// Pages the far end confirmed so far (the attempt that just ended included).
    pub confirmed: u32,
    /// Every dial so far, the one that just ended included.
    pub attempts: &'a [AttemptRecord],
    /// When the spool first handed the job out (`None`: this is the first time).
    pub first_attempt: Option<SystemTime>,
    /// How many times the spool handed the job out (the current claim included).
    pub claims: u32,
}

impl Progress<'_> {
    /// Pages still to send.
    pub fn remaining(&self) -> u32 {
        self.pages.saturating_sub(self.confirmed)
    }

    /// Fallback attempts made so far.
    pub fn fallbacks(&self) -> u32 {
        u32::try_from(self.attempts.iter().filter(|a| a.fallback).count()).unwrap_or(u32::MAX)
    }
}

/// One dial to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dial {
    /// The fax settings of this attempt.
    pub mode: AttemptMode,
    /// This attempt is a T.30 fallback.
    pub fallback: bool,
    /// Pages to send (the ones not confirmed yet).
    pub remaining: u32,
}

/// The attempt that just ended: what was dialled and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    pub dial: Dial,
    pub verdict: AttemptVerdict,
    /// The call switched to T.38.
    pub used_t38: bool,
}

/// What to do next with a fax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Dial now with these settings.
    Dial(Dial),
    /// Dial again at `at` (the job goes back to the spool until then).
    RetryAt { at: SystemTime, reason: String },
    /// The fax is final; `reason` is "sent" or why not.
    Conclude { reason: String },
}

/// The next step of a fax at `now`: `last` is the attempt that just ended, `None` when the
/// job was just claimed (nothing dialled yet in this claim).
pub fn next(
    now: SystemTime,
    fax: &Progress<'_>,
    last: Option<&Attempted>,
    policy: &Policy,
) -> Step {
    let Some(last) = last else {
        if fax.remaining() == 0 {
            // Every page went through before a crash or a lost lease.
            return Step::Conclude {
                reason: "sent".into(),
            };
        }
        return Step::Dial(Dial {
            mode: resumed_mode(fax.attempts, policy),
            fallback: false,
            remaining: fax.remaining(),
        });
    };
    match &last.verdict {
        AttemptVerdict::Sent => Step::Conclude {
            reason: "sent".into(),
        },
        AttemptVerdict::Retry(reason) => {
            let at = policy
                .retry
                .next_attempt(fax.first_attempt.unwrap_or(now), fax.claims, now);
            match at {
                // Out of dials, or out of time: the spool would make the job dead on its own,
                // so the fax is concluded (charge, status email) instead.
                Some(at) if fax.attempts.len() < policy.max_attempts as usize => Step::RetryAt {
                    at,
                    reason: reason.clone(),
                },
                _ => {
                    let n = fax.attempts.len();
                    Step::Conclude {
                        reason: format!(
                            "{reason} (after {n} attempt{})",
                            if n == 1 { "" } else { "s" }
                        ),
                    }
                }
            }
        }
        AttemptVerdict::T30(reason) => {
            let mode = if fax.fallbacks() < MAX_FALLBACKS {
                fallback(last.dial.mode, last.used_t38)
            } else {
                None
            };
            match mode {
                Some(mode) => Step::Dial(Dial {
                    mode,
                    fallback: true,
                    remaining: fax.remaining(),
                }),
                None => Step::Conclude {
                    reason: reason.clone(),
                },
            }
        }
        AttemptVerdict::Permanent(reason) => Step::Conclude {
            reason: reason.clone(),
        },
    }
}

/// The settings of the first dial of a claim: a fax dialled again later (busy after a
/// fallback) keeps the settings its last fallback chose.
fn resumed_mode(attempts: &[AttemptRecord], policy: &Policy) -> AttemptMode {
    match attempts.iter().rev().find(|a| a.fallback) {
        Some(last) => AttemptMode {
            t38: T38Policy::Off,
            ecm: last.ecm,
            modems: Modems {
                v17: last.max_bit_rate > 9_600,
                ..Modems::default()
            },
        },
        None => policy.first_mode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(1_796_000_000);
    const HOUR: Duration = Duration::from_secs(3600);

    fn t(after: Duration) -> SystemTime {
        SystemTime::UNIX_EPOCH + T0 + after
    }

    fn unanswered(status: Option<u16>) -> DialResult {
        DialResult {
            call_id: "c".into(),
            status,
            reason: "x".into(),
            ..DialResult::default()
        }
    }

    #[test]
    fn attempts_have_the_cause_their_verdict_and_status_say() {
        for (status, want) in [
            (Some(486), AttemptCause::Busy),
            (Some(480), AttemptCause::NoAnswer),
            (Some(503), AttemptCause::TrunkError),
            (None, AttemptCause::TrunkError),
            (Some(404), AttemptCause::Rejected),
        ] {
            let r = unanswered(status);
            let (verdict, _) = classify(&r, 1);
            assert_eq!(cause(&r, &verdict), want, "{status:?}");
        }
        let answered = DialResult {
            answered: true,
            ..unanswered(Some(200))
        };
        let (verdict, _) = classify(&answered, 1);
        assert_eq!(cause(&answered, &verdict), AttemptCause::FaxFailed);
    }

    /// What the simulated far end does on a dial: verdict, pages confirmed, T.38 used.
    type FarEnd<'a> = dyn FnMut(&Dial) -> (AttemptVerdict, u32, bool) + 'a;

    /// One fax run to its end the way the dialer and the spool do it, on simulated time
    /// (a call takes no time): returns every dial with its time, and the final step's
    /// reason with the time it was concluded.
    fn simulate(
        pages: u32,
        policy: &Policy,
        far: &mut FarEnd<'_>,
    ) -> (Vec<(SystemTime, Dial)>, String, SystemTime) {
        let mut now = t(Duration::ZERO);
        let (mut attempts, mut confirmed, mut claims, mut first) = (Vec::new(), 0, 0, None);
        let mut dials = Vec::new();
        loop {
            // A claim.
            claims += 1;
            let first_attempt = first;
            first.get_or_insert(now);
            fn progress(
                pages: u32,
                confirmed: u32,
                attempts: &[AttemptRecord],
                first_attempt: Option<SystemTime>,
                claims: u32,
            ) -> Progress<'_> {
                Progress {
                    pages,
                    confirmed,
                    attempts,
                    first_attempt,
                    claims,
                }
            }
            let mut step = next(
                now,
                &progress(pages, confirmed, &attempts, first_attempt, claims),
                None,
                policy,
            );
            loop {
                match step {
                    Step::Dial(d) => {
                        assert!(dials.len() < 10_000, "the ladder never ends");
                        dials.push((now, d));
                        let (verdict, got, used_t38) = far(&d);
                        confirmed += got.min(d.remaining);
                        attempts.push(AttemptRecord {
                            at: String::new(),
                            call_id: String::new(),
                            status: None,
                            reason: verdict.reason().to_string(),
                            pages: got,
                            t38: used_t38,
                            ecm: d.mode.ecm,
                            fallback: d.fallback,
                            duration_secs: 0,
                            max_bit_rate: d.mode.max_bit_rate(),
                        });
                        let last = Attempted {
                            dial: d,
                            verdict,
                            used_t38,
                        };
                        step = next(
                            now,
                            &progress(pages, confirmed, &attempts, first_attempt, claims),
                            Some(&last),
                            policy,
                        );
                    }
                    Step::RetryAt { at, .. } => {
                        assert!(at > now);
                        now = at;
                        break;
                    }
                    Step::Conclude { reason } => return (dials, reason, now),
                }
            }
        }
    }

    fn busy() -> AttemptVerdict {
        AttemptVerdict::Retry("486 Busy Here".into())
    }

    #[test]
    fn a_busy_trunk_ends_at_the_budget_with_the_attempts_evenly_spaced() {
        // Dial every hour for two days.
        let policy = Policy::new(T38Policy::Accept, true, 48, HOUR);
        let (dials, reason, end) = simulate(3, &policy, &mut |_| (busy(), 0, false));
        assert_eq!(dials.len(), 48);
        for (i, (at, d)) in dials.iter().enumerate() {
            assert_eq!(*at, t(HOUR * i as u32), "attempt {i}");
            assert_eq!(
                *d,
                Dial {
                    mode: policy.first_mode(),
                    fallback: false,
                    remaining: 3
                }
            );
        }
        assert_eq!(end, t(HOUR * 47));
        assert_eq!(reason, "486 Busy Here (after 48 attempts)");

        // The defaults: 3 dials 5 minutes apart.
        let policy = Policy::new(T38Policy::Accept, true, 3, Duration::from_secs(300));
        let (dials, reason, _) = simulate(1, &policy, &mut |_| (busy(), 0, false));
        let times: Vec<_> = dials.iter().map(|(at, _)| *at).collect();
        let five = Duration::from_secs(300);
        assert_eq!(times, [t(Duration::ZERO), t(five), t(five * 2)]);
        assert_eq!(reason, "486 Busy Here (after 3 attempts)");

        // One dial allowed: no retry, and "attempt" in the singular.
        let policy = Policy::new(T38Policy::Accept, true, 1, HOUR);
        let (dials, reason, _) = simulate(1, &policy, &mut |_| (busy(), 0, false));
        assert_eq!(
            (dials.len(), reason.as_str()),
            (1, "486 Busy Here (after 1 attempt)")
        );
    }

    #[test]
    fn a_spent_spool_budget_concludes_before_the_attempts_are_used() {
        // The dialer died in the middle of a call for days: its job was claimed again and
        // again, its first attempt is long ago; a busy now ends the fax.
        let policy = Policy::new(T38Policy::Accept, true, 3, HOUR);
        let now = t(6 * 24 * HOUR);
        let attempts = [record(false, true, 14_400)];
        let progress = Progress {
            pages: 2,
            confirmed: 0,
            attempts: &attempts,
            first_attempt: Some(t(Duration::ZERO)),
            claims: 7,
        };
        let last = Attempted {
            dial: Dial {
                mode: policy.first_mode(),
                fallback: false,
                remaining: 2,
            },
            verdict: busy(),
            used_t38: false,
        };
        assert_eq!(
            next(now, &progress, Some(&last), &policy),
            Step::Conclude {
                reason: "486 Busy Here (after 1 attempt)".into()
            }
        );
        // Within the budget the same busy is dialled again one delay later.
        let progress = Progress {
            first_attempt: Some(now - HOUR),
            claims: 2,
            ..progress
        };
        assert_eq!(
            next(now, &progress, Some(&last), &policy),
            Step::RetryAt {
                at: now + HOUR,
                reason: "486 Busy Here".into()
            }
        );
    }

    fn record(fallback: bool, ecm: bool, max_bit_rate: u32) -> AttemptRecord {
        AttemptRecord {
            at: String::new(),
            call_id: String::new(),
            status: None,
            reason: String::new(),
            pages: 0,
            t38: false,
            ecm,
            fallback,
            duration_secs: 0,
            max_bit_rate,
        }
    }

    fn t30() -> AttemptVerdict {
        AttemptVerdict::T30("fax transmission failed".into())
    }

    #[test]
    fn a_t38_failure_falls_back_at_once_to_g711_then_to_slow_without_ecm() {
        let policy = Policy::new(T38Policy::Request, true, 3, HOUR);
        // Each call confirms one page, then T.30 fails; T.38 is used when offered.
        let (dials, reason, end) = simulate(5, &policy, &mut |d| {
            (t30(), 1, d.mode.t38 != T38Policy::Off)
        });
        let start = t(Duration::ZERO);
        let modes: Vec<_> = dials
            .iter()
            .map(|(at, d)| {
                assert_eq!(*at, start, "fallbacks are dialled at once");
                (
                    d.mode.t38,
                    d.mode.ecm,
                    d.mode.max_bit_rate(),
                    d.fallback,
                    d.remaining,
                )
            })
            .collect();
        assert_eq!(
            modes,
            [
                (T38Policy::Request, true, 14_400, false, 5),
                (T38Policy::Off, true, 14_400, true, 4),
                (T38Policy::Off, false, 9_600, true, 3),
            ]
        );
        assert_eq!((reason.as_str(), end), ("fax transmission failed", start));
    }

    #[test]
    fn an_audio_failure_skips_the_g711_step() {
        let policy = Policy::new(T38Policy::Accept, true, 3, HOUR);
        let (dials, reason, _) = simulate(2, &policy, &mut |_| (t30(), 0, false));
        let modes: Vec<_> = dials
            .iter()
            .map(|(_, d)| (d.mode.t38, d.mode.ecm, d.mode.max_bit_rate(), d.fallback))
            .collect();
        assert_eq!(
            modes,
            [
                (T38Policy::Accept, true, 14_400, false),
                (T38Policy::Accept, false, 9_600, true),
            ]
        );
        assert_eq!(reason, "fax transmission failed");
    }

    #[test]
    fn a_busy_fallback_is_dialled_later_with_the_fallback_settings() {
        // T.38 fails, the G.711 fallback finds the line busy; an hour later the fax goes
        // out in G.711 with the pages left.
        let policy = Policy::new(T38Policy::Accept, true, 3, HOUR);
        let mut n = 0;
        let (dials, reason, end) = simulate(4, &policy, &mut |_| {
            n += 1;
            match n {
                1 => (t30(), 1, true),
                2 => (busy(), 0, false),
                _ => (AttemptVerdict::Sent, 3, false),
            }
        });
        let seen: Vec<_> = dials
            .iter()
            .map(|(at, d)| (*at, d.mode.t38, d.mode.ecm, d.fallback, d.remaining))
            .collect();
        let start = t(Duration::ZERO);
        assert_eq!(
            seen,
            [
                (start, T38Policy::Accept, true, false, 4),
                (start, T38Policy::Off, true, true, 3),
                (t(HOUR), T38Policy::Off, true, false, 3),
            ]
        );
        assert_eq!((reason.as_str(), end), ("sent", t(HOUR)));
    }

    #[test]
    fn fallbacks_are_bounded_across_claims() {
        // Two fallbacks on record: another T.30 failure concludes.
        let policy = Policy::new(T38Policy::Off, true, 5, HOUR);
        let attempts = [
            record(false, true, 14_400),
            record(true, false, 9_600),
            record(true, false, 9_600),
        ];
        let progress = Progress {
            pages: 2,
            confirmed: 0,
            attempts: &attempts,
            first_attempt: None,
            claims: 1,
        };
        let resumed = next(t(Duration::ZERO), &progress, None, &policy);
        let Step::Dial(dial) = resumed else {
            panic!("{resumed:?}")
        };
        assert_eq!(
            (dial.mode.ecm, dial.mode.max_bit_rate(), dial.fallback),
            (false, 9_600, false)
        );
        let last = Attempted {
            dial: Dial {
                mode: AttemptMode {
                    t38: T38Policy::Accept,
                    ..policy.first_mode()
                },
                ..dial
            },
            verdict: t30(),
            used_t38: true,
        };
        assert_eq!(
            next(t(Duration::ZERO), &progress, Some(&last), &policy),
            Step::Conclude {
                reason: "fax transmission failed".into()
            }
        );
    }

    #[test]
    fn a_success_concludes_and_confirmed_pages_are_not_sent_again() {
        let policy = Policy::new(T38Policy::Accept, true, 3, HOUR);
        let (dials, reason, end) = simulate(3, &policy, &mut |_| (AttemptVerdict::Sent, 3, true));
        assert_eq!(dials.len(), 1);
        assert_eq!((reason.as_str(), end), ("sent", t(Duration::ZERO)));

        // Every page confirmed before a crash: nothing to dial.
        let progress = Progress {
            pages: 3,
            confirmed: 3,
            attempts: &[],
            first_attempt: Some(t(Duration::ZERO)),
            claims: 2,
        };
        assert_eq!(
            next(t(HOUR), &progress, None, &policy),
            Step::Conclude {
                reason: "sent".into()
            }
        );
        // Two of three confirmed: the next dial sends one.
        let progress = Progress {
            confirmed: 2,
            ..progress
        };
        assert!(matches!(
            next(t(HOUR), &progress, None, &policy),
            Step::Dial(Dial { remaining: 1, .. })
        ));
    }

    #[test]
    fn a_refused_number_concludes_at_once() {
        let policy = Policy::new(T38Policy::Accept, true, 3, HOUR);
        let (dials, reason, _) = simulate(1, &policy, &mut |_| {
            (AttemptVerdict::Permanent("404 Not Found".into()), 0, false)
        });
        assert_eq!((dials.len(), reason.as_str()), (1, "404 Not Found"));
    }

    #[test]
    fn fallback_ladder() {
        let full = AttemptMode {
            t38: T38Policy::Accept,
            ecm: true,
            modems: Modems::default(),
        };
        // T.38 failed: G.711 first, same ECM and rate.
        let g711 = fallback(full, true).unwrap();
        assert_eq!(
            (g711.t38, g711.ecm, g711.max_bit_rate()),
            (T38Policy::Off, true, 14_400)
        );
        // Then (or at once when audio failed): ECM off, V.17 off.
        let slow = fallback(g711, false).unwrap();
        assert_eq!(
            (slow.t38, slow.ecm, slow.max_bit_rate()),
            (T38Policy::Off, false, 9_600)
        );
        assert!(slow.modems.v29 && slow.modems.v27ter && !slow.modems.v17);
        assert_eq!(
            fallback(full, false).unwrap(),
            AttemptMode { ..slow_with(full) }
        );
        // Nothing left.
        assert_eq!(fallback(slow, false), None);
        // A policy that never used T.38 skips the first step.
        let off = AttemptMode {
            t38: T38Policy::Off,
            ..full
        };
        assert_eq!(fallback(off, false).unwrap().max_bit_rate(), 9_600);
    }

    fn slow_with(m: AttemptMode) -> AttemptMode {
        AttemptMode {
            ecm: false,
            modems: Modems {
                v17: false,
                ..m.modems
            },
            ..m
        }
    }

    #[test]
    fn causes() {
        for s in [486, 480, 408, 487, 503, 600] {
            assert!(
                matches!(
                    classify(&unanswered(Some(s)), 3).0,
                    AttemptVerdict::Retry(_)
                ),
                "{s}"
            );
        }
        assert!(matches!(
            classify(&unanswered(None), 3).0,
            AttemptVerdict::Retry(_)
        ));
        for s in [404, 403, 484, 488] {
            assert!(
                matches!(
                    classify(&unanswered(Some(s)), 3).0,
                    AttemptVerdict::Permanent(_)
                ),
                "{s}"
            );
        }
    }
}
