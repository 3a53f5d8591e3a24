//! The Prometheus text format (version 0.0.4) of [`Metrics`]: `# HELP` and `# TYPE` before
//! every family, base units (seconds, euros), `_total` on counters. Every label value comes
//! from a fixed set, and every series of a family is written even at zero, so alert rules
//! see a series before its first event.
//!
//! Written by hand rather than through a client library: the counters are plain atomics
//! with labels fixed at compile time, which no registry of those libraries keeps without a
//! lock or a map lookup per increment.

use std::fmt::Write;

use faxvox_spool::StateName;

use super::histogram::Snapshot;
use super::{AttemptCause, CallResult, Direction, Kind, Metrics, Readiness, SmtpFailure, T30Class};
use crate::money::Money;

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The (direction, kind) pairs that occur: calls in to fax and voicemail lines, faxes out.
const CALL_KINDS: [(Direction, Kind); 3] = [
    (Direction::In, Kind::Fax),
    (Direction::In, Kind::Voicemail),
    (Direction::Out, Kind::Fax),
];

/// The exposition of `m`, with readiness from `ready`.
pub fn render(m: &Metrics, ready: &Readiness) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let o = &mut out;

    family(
        o,
        "faxvox_calls_total",
        "counter",
        "Calls ended, by direction (in: to our lines, out: faxes sent), kind and result.",
    );
    for (d, k) in CALL_KINDS {
        for r in CallResult::ALL {
            let labels = [
                ("direction", d.as_str()),
                ("kind", k.as_str()),
                ("result", r.as_str()),
            ];
            sample(o, "faxvox_calls_total", &labels, m.calls(d, k, r) as f64);
        }
    }

    family(
        o,
        "faxvox_calls_in_progress",
        "gauge",
        "Calls in progress, by direction and kind.",
    );
    for (d, k) in CALL_KINDS {
        let labels = [("direction", d.as_str()), ("kind", k.as_str())];
        sample(
            o,
            "faxvox_calls_in_progress",
            &labels,
            m.in_progress(d, k) as f64,
        );
    }

    family(
        o,
        "faxvox_fax_t30_results_total",
        "counter",
        "T.30 fax sessions ended, by direction and class of their completion code.",
    );
    for d in Direction::ALL {
        for c in T30Class::ALL {
            let n = m.t30[d as usize * T30Class::ALL.len() + c as usize].load(relaxed());
            let labels = [("direction", d.as_str()), ("class", c.as_str())];
            sample(o, "faxvox_fax_t30_results_total", &labels, n as f64);
        }
    }

    family(
        o,
        "faxvox_fax_pages_total",
        "counter",
        "Fax pages received (in) or confirmed by the far end (out).",
    );
    for d in Direction::ALL {
        let n = m.pages[d as usize].load(relaxed());
        sample(
            o,
            "faxvox_fax_pages_total",
            &[("direction", d.as_str())],
            n as f64,
        );
    }

    family(
        o,
        "faxvox_call_duration_seconds",
        "histogram",
        "Length of the calls ended, from the answer to the hang-up, by kind.",
    );
    for k in Kind::ALL {
        histogram(
            o,
            "faxvox_call_duration_seconds",
            &[("kind", k.as_str())],
            &m.durations[k as usize].snapshot(),
        );
    }

    family(
        o,
        "faxvox_rtp_packets_lost_total",
        "counter",
        "RTP packets lost on the way in (sequence gaps), counted when each call ends.",
    );
    sample(
        o,
        "faxvox_rtp_packets_lost_total",
        &[],
        m.rtp_lost.load(relaxed()) as f64,
    );
    family(
        o,
        "faxvox_rtp_packets_foreign_total",
        "counter",
        "RTP and UDPTL packets refused because they came from an address that is not the call's peer, counted when each call ends.",
    );
    sample(
        o,
        "faxvox_rtp_packets_foreign_total",
        &[],
        m.rtp_foreign.load(relaxed()) as f64,
    );

    family(
        o,
        "faxvox_media_ports_in_use",
        "gauge",
        "UDP media ports bound by calls now (an RTP and a UDPTL port per call).",
    );
    sample(o, "faxvox_media_ports_in_use", &[], m.ports_in_use() as f64);

    if let Some(counts) = m.spool_jobs() {
        family(
            o,
            "faxvox_spool_jobs",
            "gauge",
            "Jobs in this node's spool, by state (counted every metrics.spool_scan_secs).",
        );
        for (state, n) in StateName::ALL.iter().zip(counts) {
            sample(
                o,
                "faxvox_spool_jobs",
                &[("state", state.as_str())],
                n as f64,
            );
        }
    }
    family(
        o,
        "faxvox_spool_oldest_ready_age_seconds",
        "gauge",
        "How long the oldest ready job has waited for delivery (0 when none waits).",
    );
    sample(
        o,
        "faxvox_spool_oldest_ready_age_seconds",
        &[],
        m.oldest_ready().as_secs_f64(),
    );

    family(
        o,
        "faxvox_delivery_latency_seconds",
        "histogram",
        "Time from the end of a call to its email accepted by the SMTP server or the Maildir.",
    );
    histogram(
        o,
        "faxvox_delivery_latency_seconds",
        &[],
        &m.delivery_latency.snapshot(),
    );

    family(
        o,
        "faxvox_smtp_failures_total",
        "counter",
        "SMTP transactions that failed, by class: temporary (4xx), permanent (5xx), connection (no reply).",
    );
    for c in SmtpFailure::ALL {
        let n = m.smtp_failures[c as usize].load(relaxed());
        sample(
            o,
            "faxvox_smtp_failures_total",
            &[("class", c.as_str())],
            n as f64,
        );
    }

    family(
        o,
        "faxvox_outbound_attempts_total",
        "counter",
        "Outbound fax dials ended, by cause.",
    );
    for c in AttemptCause::ALL {
        let n = m.attempts[c as usize].load(relaxed());
        sample(
            o,
            "faxvox_outbound_attempts_total",
            &[("cause", c.as_str())],
            n as f64,
        );
    }

    family(
        o,
        "faxvox_ceiling_refusals_total",
        "counter",
        "Faxes refused because the account's out-of-plan ceiling would be passed.",
    );
    sample(
        o,
        "faxvox_ceiling_refusals_total",
        &[],
        m.ceiling_refusals.load(relaxed()) as f64,
    );

    family(
        o,
        "faxvox_reserved_euros",
        "gauge",
        "Euros held by open reservations of faxes not yet settled, in the shared database.",
    );
    let reserved = m.reserved.load(relaxed());
    sample(
        o,
        "faxvox_reserved_euros",
        &[],
        reserved as f64 / Money::SCALE as f64,
    );

    family(
        o,
        "faxvox_ready",
        "gauge",
        "1 when the node takes new calls (database answers, spool below its high-water mark, not draining), else 0.",
    );
    sample(
        o,
        "faxvox_ready",
        &[],
        if ready.is_ready() { 1.0 } else { 0.0 },
    );
    out
}

fn relaxed() -> std::sync::atomic::Ordering {
    std::sync::atomic::Ordering::Relaxed
}

/// `# HELP` and `# TYPE` lines (the help text must not hold a newline or a backslash).
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    debug_assert!(!help.contains(['\n', '\\']));
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One sample line. Label values here are fixed identifiers: nothing to escape.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{v}\"");
        }
        out.push('}');
    }
    let _ = writeln!(out, " {}", number(value));
}

/// The `_bucket`, `_sum` and `_count` lines of one histogram series.
fn histogram(out: &mut String, name: &str, labels: &[(&str, &str)], h: &Snapshot) {
    let bucket = format!("{name}_bucket");
    for (bound, n) in &h.buckets {
        let le = number(*bound);
        let mut l = labels.to_vec();
        l.push(("le", &le));
        sample(out, &bucket, &l, *n as f64);
    }
    let mut l = labels.to_vec();
    l.push(("le", "+Inf"));
    sample(out, &bucket, &l, h.count as f64);
    sample(out, &format!("{name}_sum"), labels, h.sum);
    sample(out, &format!("{name}_count"), labels, h.count as f64);
}

/// A value as Prometheus reads it: integers without a fraction, others in full.
fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_family_has_help_and_type_and_counts_show() {
        let m = Metrics::new();
        m.call_ended(
            Direction::In,
            Kind::Voicemail,
            CallResult::Ok,
            Duration::from_secs(12),
        );
        m.set_reserved(12_345);
        m.set_spool([0, 2, 0, 1, 5, 0, 0], Some(Duration::from_millis(1500)));
        let ready = Readiness::new();
        let text = render(&m, &ready);
        let mut helped = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                helped.insert(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|f| helped.contains(*f)))
                    .unwrap_or(name);
                assert!(helped.contains(family), "no HELP before {line}");
            }
        }
        assert!(text
            .contains("faxvox_calls_total{direction=\"in\",kind=\"voicemail\",result=\"ok\"} 1\n"));
        assert!(
            text.contains("faxvox_call_duration_seconds_bucket{kind=\"voicemail\",le=\"20\"} 1\n")
        );
        assert!(text.contains("faxvox_call_duration_seconds_sum{kind=\"voicemail\"} 12\n"));
        assert!(text.contains("faxvox_spool_jobs{state=\"ready\"} 2\n"));
        assert!(text.contains("faxvox_spool_oldest_ready_age_seconds 1.5\n"));
        assert!(text.contains("faxvox_reserved_euros 1.2345\n"));
        assert!(text.contains("faxvox_ready 1\n"));
        ready.set_draining();
        assert!(render(&m, &ready).contains("faxvox_ready 0\n"));
    }

    #[test]
    fn spool_family_waits_for_the_first_count() {
        let m = Metrics::new();
        assert!(!render(&m, &Readiness::new()).contains("faxvox_spool_jobs"));
    }
}
