//! The administrator's notice for a dead job: an email the gateway could not deliver and has
//! given up on, so a person can fix the address or the relay and redeliver.
//!
//! Plain text only (templates `notice.<locale>.subject.txt` / `.body.txt`), sent to
//! `smtp.admin` through the same transport.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;
use serde::Serialize;
use tracing::debug;

use super::compose::{
    ascii_header_value, parse_recipient, time_context, Composed, Composer, Locale, TimeCtx,
};
use super::transport::Rejection;
use super::{sanitize_text, DeliveryError};

/// What the administrator needs to know about a job that will not be retried.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadJob {
    pub job_id: String,
    /// `fax`, `voicemail` or `missed_call` ([`super::Kind::name`]).
    pub kind: String,
    pub account_name: String,
    /// Every recipient of the undelivered email.
    pub recipients: Vec<String>,
    /// Recipients the server refused, each with its reply.
    pub rejected: Vec<Rejection>,
    /// The last server reply or error.
    pub reply: String,
    /// Subject of the undelivered email, when it could be composed.
    pub subject: Option<String>,
    pub attempts: u32,
    pub first_attempt: Option<SystemTime>,
    pub last_attempt: SystemTime,
    /// IANA zone for the times shown (the gateway's or the account's); empty: UTC.
    pub time_zone: String,
}

impl DeadJob {
    /// Sample data used to check the notice templates at startup.
    pub(crate) fn sample() -> DeadJob {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        DeadJob {
            job_id: "20261127T071530Z-3f9a2c1b".into(),
            kind: "fax".into(),
            account_name: "Sample".into(),
            recipients: vec!["someone@example.com".into()],
            rejected: vec![Rejection {
                recipient: "someone@example.com".into(),
                reply: "550 5.1.1 no such user".into(),
            }],
            reply: "550 5.1.1 no such user".into(),
            subject: Some("Fax".into()),
            attempts: 3,
            first_attempt: Some(t),
            last_attempt: t + Duration::from_secs(3600),
            time_zone: "Europe/Paris".into(),
        }
    }
}

#[derive(Serialize)]
struct NoticeCtx {
    job_id: String,
    kind: String,
    account: AccountCtx,
    recipients: Vec<String>,
    rejected: Vec<Rejection>,
    reply: String,
    subject: Option<String>,
    attempts: u32,
    first_attempt: Option<TimeCtx>,
    last_attempt: TimeCtx,
}

#[derive(Serialize)]
struct AccountCtx {
    name: String,
}

impl Composer {
    /// Builds the notice about the dead job `job` for the administrator address `admin`
    /// (`smtp.admin`).
    pub fn compose_dead_job_notice(
        &self,
        job: &DeadJob,
        admin: &str,
        locale: Locale,
    ) -> Result<Composed, DeliveryError> {
        let admin = parse_recipient(admin)?;
        let zone = job.time_zone.trim();
        let (tz, zone_name) = match jiff::tz::TimeZone::get(zone) {
            Ok(tz) if !zone.is_empty() => (tz, zone.to_string()),
            _ => (jiff::tz::TimeZone::UTC, "UTC".to_string()),
        };
        let ts = |t: SystemTime| Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH);
        let clean = |s: &str| sanitize_text(s, 300);
        let ctx = NoticeCtx {
            job_id: clean(&job.job_id),
            kind: clean(&job.kind),
            account: AccountCtx {
                name: clean(&job.account_name),
            },
            recipients: job.recipients.iter().map(|r| clean(r)).collect(),
            rejected: job
                .rejected
                .iter()
                .map(|r| Rejection {
                    recipient: clean(&r.recipient),
                    reply: clean(&r.reply),
                })
                .collect(),
            reply: clean(&job.reply),
            subject: job.subject.as_deref().map(clean),
            attempts: job.attempts,
            first_attempt: job
                .first_attempt
                .map(|t| time_context(ts(t), &tz, &zone_name, locale)),
            last_attempt: time_context(ts(job.last_attempt), &tz, &zone_name, locale),
        };
        let tag = locale.tag();
        let templates = self.templates();
        let subject = templates.render(&format!("notice.{tag}.subject.txt"), &ctx)?;
        let subject = sanitize_text(&subject, 250);
        let body = templates.render(&format!("notice.{tag}.body.txt"), &ctx)?;
        let sender = self.sender();
        let message_id = sender.message_id(&format!("notice.{}", job.job_id));
        let bytes = MessageBuilder::new()
            .from(sender.mb_address())
            .to(admin.clone())
            .subject(subject.clone())
            .message_id(message_id.clone())
            .header("X-Faxvox-Job", Raw::new(ascii_header_value(&job.job_id)))
            .header("X-Faxvox-Kind", Raw::new("notice"))
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(body)
            .write_to_vec()
            .map_err(DeliveryError::Build)?;
        debug!(job = %job.job_id, "dead-job notice composed");
        Ok(Composed {
            bytes,
            message_id,
            subject,
            envelope_from: sender.address.clone(),
            recipients: vec![admin],
            attached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Templates;

    #[test]
    fn notice_names_job_recipients_and_reply() {
        let c = Composer::new("fax@gw.example", Templates::builtin(), 1000).unwrap();
        let mut job = DeadJob::sample();
        job.recipients = vec!["a@example.com".into(), "b@example.com".into()];
        job.rejected = vec![Rejection {
            recipient: "b@example.com".into(),
            reply: "550 5.1.1 <b@example.com>: no such user".into(),
        }];
        let out = c
            .compose_dead_job_notice(&job, "admin@gw.example", Locale::En)
            .unwrap();
        assert_eq!(out.recipients, ["admin@gw.example"]);
        assert_eq!(
            out.subject,
            "[faxvox] Undeliverable fax – job 20261127T071530Z-3f9a2c1b"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(&out.bytes)
            .unwrap();
        let text = parsed.body_text(0).unwrap();
        assert!(
            text.contains("Job          : 20261127T071530Z-3f9a2c1b"),
            "{text}"
        );
        assert!(
            text.contains("Recipients   : a@example.com, b@example.com"),
            "{text}"
        );
        assert!(
            text.contains("  - b@example.com: 550 5.1.1 <b@example.com>: no such user"),
            "{text}"
        );
        assert!(
            text.contains("Server reply : 550 5.1.1 no such user"),
            "{text}"
        );
        let fr = c
            .compose_dead_job_notice(&job, "admin@gw.example", Locale::Fr)
            .unwrap();
        assert_eq!(
            fr.subject,
            "[faxvox] Échec de distribution d'un fax – job 20261127T071530Z-3f9a2c1b"
        );
        assert!(c
            .compose_dead_job_notice(&job, "not an address", Locale::En)
            .is_err());
    }
}
