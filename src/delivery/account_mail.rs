//! The emails an account gets about its own sending: the status of an outbound fax (with its
//! PDF transmission report attached) and the notice that its out-of-plan spending reached
//! 80 % or 100 % of its ceiling.
//!
//! Plain text, from the templates `fax_status.<locale>.{subject,body}.txt` and
//! `ceiling_notice.<locale>.{subject,body}.txt`, which an operator overrides like the others
//! ([`super::templates`]). The callers hand plain data ([`FaxStatus`], [`CeilingNotice`]):
//! delivery knows nothing of jobs or the ledger.

use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;
use serde::Serialize;

use super::compose::{ascii_header_value, format_duration, parse_recipient, Composed, Composer};
use super::{phone, sanitize_text, DeliveryError, Locale};

/// What the client is told about an outbound fax that is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxStatus {
    pub fax_id: String,
    /// Caller id, E.164.
    pub from: String,
    /// Destination, E.164.
    pub to: String,
    /// The caller id was withheld.
    pub anonymous: bool,
    /// Every page was confirmed by the far end.
    pub sent: bool,
    pub pages_confirmed: u32,
    pub pages: u32,
    /// Dial attempts made.
    pub attempts: u32,
    /// Seconds of the last connected call.
    pub duration_secs: u64,
    /// In words: "sent", or why not.
    pub reason: String,
    /// What was charged, as printed (`0.10`, in €, excluding tax).
    pub charged: String,
    /// Sent by email: the subject of that mail, quoted in the status email's subject.
    pub subject: Option<String>,
}

#[cfg(test)]
impl FaxStatus {
    /// Sample data for the tests.
    fn sample(sent: bool) -> FaxStatus {
        FaxStatus {
            fax_id: "20261127T071530Z-3f9a2c1b".into(),
            from: "+33100000001".into(),
            to: "+33299001122".into(),
            anonymous: !sent,
            sent,
            pages_confirmed: if sent { 2 } else { 1 },
            pages: 2,
            attempts: 3,
            duration_secs: 95,
            reason: if sent { "sent" } else { "486 Busy Here" }.into(),
            charged: "0.10".into(),
            subject: None,
        }
    }
}

/// An out-of-plan ceiling threshold the account crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeilingNotice {
    /// The ledger's id of the notice (the Message-ID is made from it).
    pub id: String,
    /// The billing period, e.g. `2026-11`.
    pub period: String,
    /// 80 or 100.
    pub threshold: u8,
    /// Used + reserved when it was crossed, as printed (€, excluding tax).
    pub consumed: String,
    /// Ceiling + deposits then, as printed (€, excluding tax).
    pub limit: String,
}

impl CeilingNotice {
    /// Sample data used to check the templates at startup.
    fn sample(threshold: u8) -> CeilingNotice {
        CeilingNotice {
            id: "n1".into(),
            period: "2026-11".into(),
            threshold,
            consumed: "40.00".into(),
            limit: "50.00".into(),
        }
    }
}

#[derive(Serialize)]
struct FaxStatusCtx<'a> {
    fax_id: &'a str,
    /// Formatted for reading.
    to: String,
    /// Formatted for reading; empty when withheld.
    from: String,
    withheld: bool,
    sent: bool,
    pages_confirmed: u32,
    pages: u32,
    attempts: u32,
    duration: DurationCtx,
    reason: String,
    charged: &'a str,
    /// The subject of the mail the fax was sent by (empty: not sent by email).
    subject: String,
}

#[derive(Serialize)]
struct DurationCtx {
    seconds: u64,
    display: String,
}

#[derive(Serialize)]
struct CeilingCtx<'a> {
    period: &'a str,
    threshold: u8,
    consumed: &'a str,
    limit: &'a str,
}

impl Composer {
    /// The status email of an outbound fax to the account's `emails`: "fax to X: sent N/M
    /// pages, duration, cost" as text, with the PDF transmission `report` attached as
    /// `fax-report-<fax id>.pdf` when there is one.
    pub fn compose_fax_status(
        &self,
        emails: &[String],
        locale: Locale,
        status: &FaxStatus,
        report: Option<&[u8]>,
    ) -> Result<Composed, DeliveryError> {
        let recipients = recipients(emails, &status.fax_id)?;
        let (subject, body) = self.fax_status_text(locale, status)?;
        let sender = self.sender();
        let message_id = sender.message_id(&format!("sent.{}", status.fax_id));
        let mut builder = MessageBuilder::new()
            .from(sender.mb_address())
            .to(recipients.clone())
            .subject(subject.clone())
            .message_id(message_id.clone())
            .header("X-Faxvox-Job", Raw::new(ascii_header_value(&status.fax_id)))
            .header("X-Faxvox-Kind", Raw::new("fax-sent"))
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(body);
        if let Some(pdf) = report {
            let id: String = status
                .fax_id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            builder = builder.attachment("application/pdf", format!("fax-report-{id}.pdf"), pdf);
        }
        let bytes = builder.write_to_vec().map_err(DeliveryError::Build)?;
        Ok(Composed {
            bytes,
            message_id,
            subject,
            envelope_from: sender.address.clone(),
            recipients,
            attached: report.is_some(),
        })
    }

    /// The billing notice to the account's `emails`: `notice.threshold` % of the out-of-plan
    /// ceiling reached.
    pub fn compose_ceiling_notice(
        &self,
        emails: &[String],
        locale: Locale,
        notice: &CeilingNotice,
    ) -> Result<Composed, DeliveryError> {
        let recipients = recipients(emails, &notice.id)?;
        let (subject, body) = self.ceiling_notice_text(locale, notice)?;
        let sender = self.sender();
        let message_id = sender.message_id(&format!("notice.{}", notice.id));
        let bytes = MessageBuilder::new()
            .from(sender.mb_address())
            .to(recipients.clone())
            .subject(subject.clone())
            .message_id(message_id.clone())
            .header("X-Faxvox-Kind", Raw::new("billing-notice"))
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(body)
            .write_to_vec()
            .map_err(DeliveryError::Build)?;
        Ok(Composed {
            bytes,
            message_id,
            subject,
            envelope_from: sender.address.clone(),
            recipients,
            attached: false,
        })
    }

    /// Subject and body of the status email of `status`.
    fn fax_status_text(
        &self,
        locale: Locale,
        status: &FaxStatus,
    ) -> Result<(String, String), DeliveryError> {
        let ctx = FaxStatusCtx {
            fax_id: &status.fax_id,
            to: phone::format_number(&status.to),
            from: if status.anonymous {
                String::new()
            } else {
                phone::format_number(&status.from)
            },
            withheld: status.anonymous,
            sent: status.sent,
            pages_confirmed: status.pages_confirmed,
            pages: status.pages,
            attempts: status.attempts,
            duration: DurationCtx {
                seconds: status.duration_secs,
                display: format_duration(status.duration_secs),
            },
            reason: sanitize_text(&status.reason, 300),
            charged: &status.charged,
            subject: status
                .subject
                .as_deref()
                .map(|s| sanitize_text(s, 120))
                .unwrap_or_default(),
        };
        self.render_fax_status(locale, &ctx)
    }

    fn render_fax_status(
        &self,
        locale: Locale,
        ctx: &FaxStatusCtx<'_>,
    ) -> Result<(String, String), DeliveryError> {
        let tag = locale.tag();
        let templates = self.templates();
        let subject = templates.render(&format!("fax_status.{tag}.subject.txt"), ctx)?;
        let subject = sanitize_text(&subject, 250);
        let body = templates.render(&format!("fax_status.{tag}.body.txt"), ctx)?;
        Ok((subject, body))
    }

    /// Subject and body of the ceiling notice `notice`.
    fn ceiling_notice_text(
        &self,
        locale: Locale,
        notice: &CeilingNotice,
    ) -> Result<(String, String), DeliveryError> {
        let ctx = CeilingCtx {
            period: &notice.period,
            threshold: notice.threshold,
            consumed: &notice.consumed,
            limit: &notice.limit,
        };
        let tag = locale.tag();
        let templates = self.templates();
        let subject = templates.render(&format!("ceiling_notice.{tag}.subject.txt"), &ctx)?;
        let subject = sanitize_text(&subject, 250);
        let body = templates.render(&format!("ceiling_notice.{tag}.body.txt"), &ctx)?;
        Ok((subject, body))
    }
}

/// Renders every account-mail template once with sample data, so that a broken override
/// fails at startup.
pub(crate) fn check_templates(composer: &Composer) -> Result<(), DeliveryError> {
    for locale in [Locale::Fr, Locale::En] {
        for sent in [true, false] {
            // Numbers as printed: the startup check stays clear of the phone number tables.
            let ctx = FaxStatusCtx {
                fax_id: "20261127T071530Z-3f9a2c1b",
                to: "+33 2 99 00 11 22".into(),
                from: if sent {
                    "+33 1 00 00 00 01".into()
                } else {
                    String::new()
                },
                withheld: !sent,
                sent,
                pages_confirmed: if sent { 2 } else { 1 },
                pages: 2,
                attempts: 3,
                duration: DurationCtx {
                    seconds: 95,
                    display: "1:35".into(),
                },
                reason: if sent { "sent" } else { "486 Busy Here" }.into(),
                charged: "0.10",
                subject: if sent {
                    "Re: invoice 42".into()
                } else {
                    String::new()
                },
            };
            composer.render_fax_status(locale, &ctx)?;
        }
        for threshold in [80, 100] {
            composer.ceiling_notice_text(locale, &CeilingNotice::sample(threshold))?;
        }
    }
    Ok(())
}

fn recipients(emails: &[String], job: &str) -> Result<Vec<String>, DeliveryError> {
    let recipients = emails
        .iter()
        .map(|e| parse_recipient(e))
        .collect::<Result<Vec<_>, _>>()?;
    if recipients.is_empty() {
        return Err(DeliveryError::NoRecipients {
            job: job.to_string(),
        });
    }
    Ok(recipients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Templates;

    fn composer() -> Composer {
        Composer::new("fax@gw.example", Templates::builtin(), 1000).unwrap()
    }

    fn text(c: &Composed) -> String {
        let parsed = mail_parser::MessageParser::default()
            .parse(&c.bytes)
            .unwrap();
        // The message carries CRLF line ends (mail_builder), the templates LF.
        parsed.body_text(0).unwrap().replace("\r\n", "\n")
    }

    #[test]
    fn a_fax_sent_by_email_quotes_the_mail_subject() {
        let c = composer();
        let to = ["alice@acme.example".to_string()];
        let sent = FaxStatus {
            subject: Some("Re: invoice 42".into()),
            ..FaxStatus::sample(true)
        };
        let mail = c.compose_fax_status(&to, Locale::En, &sent, None).unwrap();
        assert_eq!(
            mail.subject,
            "Fax to +33 2 99 00 11 22: sent, 2/2 pages: \"Re: invoice 42\""
        );
        let failed = FaxStatus {
            subject: Some("Devis\r\nBcc: x@evil.example".into()),
            ..FaxStatus::sample(false)
        };
        let mail = c
            .compose_fax_status(&to, Locale::Fr, &failed, None)
            .unwrap();
        assert_eq!(
            mail.subject,
            "Fax vers +33 2 99 00 11 22 : non envoyé (486 Busy Here) : « Devis Bcc: x@evil.example »"
        );
        let raw = String::from_utf8_lossy(&mail.bytes);
        assert!(!raw.contains("\nBcc:"), "{raw}");
    }

    #[test]
    fn fax_status_reads_as_before_in_both_languages() {
        let c = composer();
        let to = ["client@example.com".to_string()];
        let sent = FaxStatus::sample(true);
        let mail = c.compose_fax_status(&to, Locale::En, &sent, None).unwrap();
        assert_eq!(mail.subject, "Fax to +33 2 99 00 11 22: sent, 2/2 pages");
        assert_eq!(
            text(&mail),
            "Fax 20261127T071530Z-3f9a2c1b\n\nTo       : +33 2 99 00 11 22\n\
             From     : +33 1 00 00 00 01\nResult   : sent\nPages    : 2/2 sent\n\
             Duration : 1:35\nAttempts : 3\nCost     : 0.10 € excl. tax\n"
        );
        let failed = FaxStatus::sample(false);
        let mail = c
            .compose_fax_status(&to, Locale::Fr, &failed, None)
            .unwrap();
        assert_eq!(
            mail.subject,
            "Fax vers +33 2 99 00 11 22 : non envoyé (486 Busy Here)"
        );
        assert_eq!(
            text(&mail),
            "Fax 20261127T071530Z-3f9a2c1b\n\nDestinataire : +33 2 99 00 11 22\n\
             Expéditeur   : masqué\nRésultat     : 486 Busy Here\n\
             Pages        : 1/2 envoyées\nDurée        : 1:35\nTentatives   : 3\n\
             Coût         : 0.10 € HT\n"
        );
        assert!(!mail.attached);
        let raw = String::from_utf8_lossy(&mail.bytes);
        assert!(raw.contains("X-Faxvox-Kind: fax-sent"), "{raw}");
        assert!(c.compose_fax_status(&[], Locale::En, &sent, None).is_err());
    }

    #[test]
    fn ceiling_notice_reads_as_before_in_both_languages() {
        let c = composer();
        let to = ["client@example.com".to_string()];
        let mail = c
            .compose_ceiling_notice(&to, Locale::Fr, &CeilingNotice::sample(80))
            .unwrap();
        assert_eq!(
            mail.subject,
            "Plafond hors forfait : 80 % atteint (2026-11)"
        );
        assert_eq!(
            text(&mail),
            "Votre consommation hors forfait de la période 2026-11 atteint 40.00 € HT sur un \
             plafond de 50.00 € HT (80 %).\n\nAu-delà du plafond, les envois de fax seront \
             refusés ; un dépôt relève le plafond aussitôt.\n"
        );
        let mail = c
            .compose_ceiling_notice(&to, Locale::En, &CeilingNotice::sample(100))
            .unwrap();
        assert_eq!(mail.subject, "Out-of-plan ceiling: 100 % reached (2026-11)");
        assert_eq!(
            text(&mail),
            "Your out-of-plan consumption for 2026-11 is 40.00 € excl. tax of a 50.00 € \
             ceiling (100 %).\n\nSending faxes is refused until the next period or a deposit \
             (which raises the ceiling at once). Faxes and voicemail keep being received.\n"
        );
        let raw = String::from_utf8_lossy(&mail.bytes);
        assert!(raw.contains("X-Faxvox-Kind: billing-notice"), "{raw}");
    }

    #[test]
    fn an_operator_overrides_the_status_subject() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fax_status.en.subject.txt"),
            "Fax {{ fax_id }}: {{ 'ok' if sent else 'failed' }}",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(t.overridden(), ["fax_status.en.subject.txt"]);
        let c = Composer::new("fax@gw.example", t, 1000).unwrap();
        let to = ["client@example.com".to_string()];
        let mail = c
            .compose_fax_status(&to, Locale::En, &FaxStatus::sample(false), None)
            .unwrap();
        assert_eq!(mail.subject, "Fax 20261127T071530Z-3f9a2c1b: failed");

        // A broken override stops the composer at startup, with its name.
        std::fs::write(
            dir.path().join("ceiling_notice.fr.body.txt"),
            "{{ threshold | nosuchfilter }}",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path()))
            .and_then(|t| Composer::new("fax@gw.example", t, 1000))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ceiling_notice.fr.body.txt"), "{e}");
    }
}
