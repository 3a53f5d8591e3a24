//! What an email must pass to become faxes, in the order the SMTP session asks: the sender
//! (MAIL FROM), each recipient (RCPT TO), then the message (after DATA). Every refusal is an
//! SMTP reply with the reason; nothing is reserved before the message is submitted, and the
//! submission ([`crate::outbound::submit`], the same as `faxvox send` and the HTTP API)
//! leaves nothing behind when it refuses.
//!
//! - sender: the null sender (a bounce) is refused; the address must be on an account's
//!   sender list ([`crate::directory::Directory::match_sender`]); the account must have a
//!   line to send from (the entry's, else its first fax line);
//! - recipient: `<number>@<mail_in.domain>` only (any other domain: 550, never a relay); the
//!   number as `faxvox send` reads it; not on the block list (do-not-fax); the account's
//!   state allows this destination, there is a rate for it and room under the ceiling for a
//!   one-page fax (the billing checks of the submission, taken early);
//! - message: the From domain passes DMARC ([`super::auth`]; a DNS failure is 451, not
//!   550); the From address is on the same account's sender list (the authenticated From,
//!   not only MAIL FROM); the sender's hourly rate ([`super::rate`], counted only for mail
//!   that passed authentication, so a forger cannot use up someone's quota); at least one
//!   attachment that is a PDF, TIFF, PNG or JPEG (by content type or by its first bytes); then
//!   one fax per recipient, the status email going to the From address and quoting the
//!   subject.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use mail_parser::{MessageParser, MimeHeaders};
use tracing::{info, warn};

use super::auth::{AuthError, SenderAuth};
use super::rate::SenderRate;
use super::settings::MailInConfig;
use super::smtp::Reply;
use crate::billing::{Billing, BillingError};
use crate::directory::{validate, BlockDirection, Directory, LineKind};
use crate::jobs::MailReply;
use crate::outbound::render::Renderer;
use crate::outbound::submit::{submit, Submission, SubmitError};
use crate::outbound::TrunkConfig;

/// A sender accepted at MAIL FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The MAIL FROM address.
    pub address: String,
    /// The account whose list allows it.
    pub account: String,
    /// The caller id its faxes go out with.
    pub line: String,
}

/// Takes the decisions of every SMTP session: one per listener, shared by its connections.
pub struct MailIn {
    domain: String,
    body_as_cover: bool,
    directory: Directory,
    billing: Billing,
    spool: faxvox_spool::Spool,
    trunk: TrunkConfig,
    renderer: Renderer,
    auth: SenderAuth,
    rate: Mutex<SenderRate>,
}

/// What [`MailIn`] works with, handed over by the edge.
pub struct Services {
    pub directory: Directory,
    pub billing: Billing,
    pub spool: faxvox_spool::Spool,
    pub trunk: TrunkConfig,
    pub renderer: Renderer,
}

/// A temporary failure of ours (database): the client tries again later.
fn ours(what: &str, e: impl std::fmt::Display) -> Reply {
    warn!(error = %e, "email-to-fax: {what}");
    Reply::new(451, "4.3.0 temporary failure; try again later")
}

impl MailIn {
    /// The decisions for `config`, with the DNS resolver of `mail_in.dns`.
    pub fn new(config: &MailInConfig, services: Services) -> Result<MailIn, AuthError> {
        Ok(MailIn {
            domain: config.domain(),
            body_as_cover: config.body_as_cover,
            directory: services.directory,
            billing: services.billing,
            spool: services.spool,
            trunk: services.trunk,
            renderer: services.renderer,
            auth: SenderAuth::new(config.dns)?,
            rate: Mutex::new(SenderRate::new(config.max_per_sender_per_hour)),
        })
    }

    /// The domain whose addresses are fax numbers.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// MAIL FROM: who may send, from which line.
    pub async fn sender(&self, from: &str) -> Result<Sender, Reply> {
        if !self.trunk.enabled() {
            return Err(Reply::new(
                550,
                "5.3.0 sending faxes is disabled on this gateway (no trunk)",
            ));
        }
        if from.is_empty() {
            return Err(Reply::new(
                550,
                "5.7.1 mail from the null sender (a bounce) is not faxed",
            ));
        }
        let Some(m) = self
            .directory
            .match_sender(from)
            .await
            .map_err(|e| ours("sender look-up", e))?
        else {
            info!(from, "email-to-fax: sender not on any account's list");
            return Err(Reply::new(
                550,
                format!("5.7.1 <{from}> may not send faxes here: not on any account's sender list"),
            ));
        };
        let line = self.line_of(&m.account_id, m.line.as_deref()).await?;
        Ok(Sender {
            address: from.to_string(),
            account: m.account_id,
            line,
        })
    }

    /// The entry's line, else the account's first fax line.
    async fn line_of(&self, account: &str, line: Option<&str>) -> Result<String, Reply> {
        if let Some(line) = line {
            return Ok(line.to_string());
        }
        let lines = self
            .directory
            .account_lines(account)
            .await
            .map_err(|e| ours("account lines", e))?;
        lines
            .into_iter()
            .find(|l| l.kind == LineKind::Fax)
            .map(|l| l.number)
            .ok_or_else(|| {
                Reply::new(
                    550,
                    format!("5.7.1 account {account} has no fax line to send from"),
                )
            })
    }

    /// RCPT TO: the destination number (E.164) of `to`, or why it is refused.
    pub async fn recipient(
        &self,
        sender: &Sender,
        to: &str,
        now: SystemTime,
    ) -> Result<String, Reply> {
        let number = recipient_number(to, &self.domain)?;
        let account = &sender.account;
        if let Some(entry) = self
            .directory
            .blocked(&number, account, BlockDirection::Out)
            .await
            .map_err(|e| ours("block list", e))?
        {
            info!(to = %number, %entry, "email-to-fax: destination on the block list");
            return Err(Reply::new(
                550,
                format!("5.7.1 {number} is on the block list (do-not-fax)"),
            ));
        }
        let billing = |e: BillingError| match e {
            BillingError::Database(_)
            | BillingError::Directory(_)
            | BillingError::Corrupt(_)
            | BillingError::Overflow => ours("billing check", e),
            e => Reply::new(550, format!("5.7.1 {e}")),
        };
        self.billing
            .check_destination(account, &number)
            .await
            .map_err(billing)?;
        let smallest = self
            .billing
            .quote(account, &number, 1, now)
            .await
            .map_err(billing)?;
        self.billing
            .check_room(account, &smallest, now)
            .await
            .map_err(billing)?;
        Ok(number)
    }

    /// After DATA: authenticate, read, submit one fax per recipient. The reply is positive
    /// only when every fax is queued (with their ids).
    pub async fn message(
        &self,
        peer: IpAddr,
        helo: &str,
        sender: &Sender,
        recipients: &[String],
        raw: &[u8],
        now: SystemTime,
    ) -> Reply {
        let verdict = self.auth.check(peer, helo, &sender.address, raw).await;
        if verdict.temporary {
            info!(from = %sender.address, reason = %verdict.reason, "email-to-fax: authentication deferred");
            return Reply::new(451, format!("4.7.0 {}", verdict.reason));
        }
        if !verdict.pass {
            info!(from = %sender.address, %peer, reason = %verdict.reason, "email-to-fax: authentication failed");
            return Reply::new(550, format!("5.7.1 {}", verdict.reason));
        }
        let mail = match read_mail(raw) {
            Ok(m) => m,
            Err(r) => return r,
        };
        // The authenticated From must itself be allowed, for the same account.
        let from_match = match self.directory.match_sender(&mail.from).await {
            Ok(m) => m,
            Err(e) => return ours("sender look-up", e),
        };
        let Some(from_match) = from_match else {
            return Reply::new(
                550,
                format!(
                    "5.7.1 From <{}> may not send faxes here: not on any account's sender list",
                    mail.from
                ),
            );
        };
        if from_match.account_id != sender.account
            || !mail.from.ends_with(&format!("@{}", verdict.from_domain))
        {
            return Reply::new(
                550,
                format!(
                    "5.7.1 From <{}> and MAIL FROM <{}> are not allowed for the same account",
                    mail.from, sender.address
                ),
            );
        }
        let line = match self
            .line_of(&from_match.account_id, from_match.line.as_deref())
            .await
        {
            Ok(l) => l,
            Err(r) => return r,
        };
        if mail.documents.is_empty() {
            return Reply::new(
                550,
                format!(
                    "5.6.0 nothing to fax: attach a PDF, TIFF, PNG or JPEG{}",
                    ignored_note(&mail.ignored)
                ),
            );
        }
        let wait = self
            .rate
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allow(Instant::now(), &mail.from);
        if let Err(wait) = wait {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            info!(from = %mail.from, minutes, "email-to-fax: sender over its hourly rate");
            return Reply::new(
                451,
                format!(
                    "4.7.1 too many faxes from <{}> this hour; try again in {minutes} min",
                    mail.from
                ),
            );
        }
        let cover = if self.body_as_cover {
            mail.body.filter(|b| !b.trim().is_empty())
        } else {
            None
        };
        let mut queued = Vec::new();
        for to in recipients {
            let submission = Submission {
                account: from_match.account_id.clone(),
                from: line.clone(),
                to: to.clone(),
                anonymous: false,
                mail: Some(MailReply {
                    to: mail.from.clone(),
                    subject: mail.subject.clone(),
                }),
                documents: mail.documents.clone(),
                cover: cover.clone(),
                // The header line, as for any client that does not turn it off.
                ..Submission::default()
            };
            match submit(
                &self.directory,
                &self.billing,
                &self.spool,
                &self.trunk,
                &self.renderer,
                submission,
                now,
            )
            .await
            {
                Ok(s) => {
                    info!(fax = %s.fax_id, from = %mail.from, to = %to, pages = s.facts.pages, "email-to-fax: fax queued");
                    queued.push(format!("{} to {to}", s.fax_id));
                }
                Err(e) => {
                    let reply = submit_reply(&e);
                    warn!(from = %mail.from, to = %to, error = %e, "email-to-fax: not queued");
                    if queued.is_empty() {
                        return reply;
                    }
                    // Some faxes are queued already: the mail is accepted (a refusal would
                    // have the sender send them again); the reply says what was not.
                    queued.push(format!("NOT to {to}: {}", reply.text));
                }
            }
        }
        Reply::new(
            250,
            format!(
                "2.0.0 queued: fax {}{}",
                queued.join("; "),
                ignored_note(&mail.ignored)
            ),
        )
    }
}

/// The refusal of a submission as an SMTP reply: the sender's mistakes and the rules 5xx, our
/// own trouble 4xx (the client tries again).
fn submit_reply(e: &SubmitError) -> Reply {
    match e {
        SubmitError::Busy => Reply::new(
            451,
            "4.3.2 too many documents being converted; try again later",
        ),
        SubmitError::Document(_) | SubmitError::Cover(_) => Reply::new(550, format!("5.6.0 {e}")),
        SubmitError::Disabled => Reply::new(550, "5.3.0 sending faxes is disabled on this gateway"),
        e if e.is_refusal() => Reply::new(550, format!("5.7.1 {e}")),
        _ => Reply::new(451, "4.3.0 temporary failure; try again later"),
    }
}

fn ignored_note(ignored: &[String]) -> String {
    if ignored.is_empty() {
        String::new()
    } else {
        format!(
            " (not faxed, not PDF, TIFF, PNG or JPEG: {})",
            ignored.join(", ")
        )
    }
}

/// The E.164 number of a recipient `<number>@<domain>`: the domain must be ours, the local part
/// digits with an optional leading `+` (international either way), read as `faxvox send`
/// reads a destination.
pub fn recipient_number(to: &str, domain: &str) -> Result<String, Reply> {
    let Some((local, host)) = to.rsplit_once('@') else {
        return Err(Reply::new(550, "5.1.3 the address has no domain"));
    };
    if !host.trim_end_matches('.').eq_ignore_ascii_case(domain) {
        return Err(Reply::new(
            550,
            format!("5.7.1 relay denied: only mail to <number>@{domain} is taken here"),
        ));
    }
    let digits = local.strip_prefix('+').unwrap_or(local);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reply::new(
            550,
            format!("5.1.1 <{local}> is not a fax number: use digits, e.g. +33123456789@{domain}"),
        ));
    }
    // Digits without `+` are the international number (a `+` may not survive every mail
    // client); `00…` is read as `faxvox send` reads it, and a national `0…` is refused there.
    let number = if local.starts_with('+') || local.starts_with('0') {
        local.to_string()
    } else {
        format!("+{local}")
    };
    validate::normalize_number(&number)
        .map_err(|e| Reply::new(550, format!("5.1.1 {local} is not a fax number: {e}")))
}

/// A message as email-to-fax reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    /// The From address, lower case.
    pub from: String,
    /// The subject, empty when none.
    pub subject: String,
    /// The documents to fax, in order: (name, bytes).
    pub documents: Vec<(String, bytes::Bytes)>,
    /// Names of the attachments that are not faxed (other types).
    pub ignored: Vec<String>,
    /// The text body, when there is one.
    pub body: Option<String>,
}

/// The file types that can be faxed, by their first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tiff")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("jpeg")
    } else {
        None
    }
}

/// The file type a content type names, among those that can be faxed.
fn by_content_type(ctype: &str, subtype: &str) -> Option<&'static str> {
    match (
        ctype.to_ascii_lowercase().as_str(),
        subtype.to_ascii_lowercase().as_str(),
    ) {
        ("application", "pdf") | ("application", "x-pdf") => Some("pdf"),
        ("image", "tiff") | ("image", "tif") => Some("tiff"),
        ("image", "png") => Some("png"),
        ("image", "jpeg") | ("image", "jpg") | ("image", "pjpeg") => Some("jpeg"),
        _ => None,
    }
}

/// Reads the From address, the subject, the attachments that can be faxed (in the order of
/// the message; images embedded in an HTML body, inline with a Content-ID, are not
/// attachments) and the text body.
pub fn read_mail(raw: &[u8]) -> Result<Mail, Reply> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Err(Reply::new(550, "5.6.0 the message cannot be read"));
    };
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'))
        .ok_or_else(|| Reply::new(550, "5.7.1 the message has no From address"))?;
    let subject = message.subject().unwrap_or("").trim().to_string();
    let mut documents = Vec::new();
    let mut ignored = Vec::new();
    for (i, part) in message.attachments().enumerate() {
        if part.is_message() || part.is_multipart() {
            ignored.push(
                part.attachment_name()
                    .unwrap_or("attached message")
                    .to_string(),
            );
            continue;
        }
        let embedded = part.content_disposition().is_some_and(|d| d.is_inline())
            && part.content_id().is_some();
        if embedded {
            continue;
        }
        let bytes = part.contents();
        let kind = sniff(bytes).or_else(|| {
            part.content_type()
                .and_then(|c| by_content_type(c.ctype(), c.subtype().unwrap_or("")))
        });
        let name = part
            .attachment_name()
            .map(|n| n.chars().filter(|c| !c.is_control()).take(100).collect())
            .unwrap_or_else(|| format!("attachment {}", i + 1));
        match kind {
            Some(_) => documents.push((name, bytes::Bytes::copy_from_slice(bytes))),
            None => ignored.push(name),
        }
    }
    let body = message.body_text(0).map(|b| b.into_owned());
    Ok(Mail {
        from,
        subject,
        documents,
        ignored,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_numbers_at_our_domain() {
        let d = "fax.example";
        assert_eq!(
            recipient_number("+33100000001@fax.example", d).unwrap(),
            "+33100000001"
        );
        assert_eq!(
            recipient_number("33100000001@FAX.example.", d).unwrap(),
            "+33100000001"
        );
        let code = |to: &str| {
            let r = recipient_number(to, d).unwrap_err();
            (r.code, r.text)
        };
        let (c, t) = code("+33100000001@elsewhere.example");
        assert_eq!(c, 550);
        assert!(t.starts_with("5.7.1 relay denied"), "{t}");
        for bad in [
            "alice@fax.example",
            "+@fax.example",
            "33 1@fax.example",
            "1@fax.example",
            "0299001122@fax.example",
            "nodomain",
        ] {
            let (c, t) = code(bad);
            assert_eq!(c, 550, "{bad}: {t}");
            assert!(t.starts_with("5.1."), "{bad}: {t}");
        }
    }

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn mime(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut m = b"From: Alice <Alice@Acme.Example>\r\nTo: +33100000001@fax.example\r\nSubject: Re: invoice 42\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the invoice.\r\n".to_vec();
        for (ctype, disposition, bytes) in parts {
            m.extend_from_slice(
                format!("--b\r\nContent-Type: {ctype}\r\n{disposition}Content-Transfer-Encoding: base64\r\n\r\n").as_bytes(),
            );
            m.extend_from_slice(b64(bytes).as_bytes());
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"--b--\r\n");
        m
    }

    #[test]
    fn attachments_in_order_by_type_or_magic() {
        let raw = mime(&[
            (
                "application/pdf",
                "Content-Disposition: attachment; filename=\"a.pdf\"\r\n",
                b"%PDF-1.4 x",
            ),
            (
                "application/octet-stream",
                "Content-Disposition: attachment; filename=\"scan.bin\"\r\n",
                b"II*\0rest",
            ),
            (
                "application/msword",
                "Content-Disposition: attachment; filename=\"c.doc\"\r\n",
                b"\xd0\xcf\x11\xe0",
            ),
            (
                "image/png",
                "Content-Disposition: inline\r\nContent-ID: <logo@x>\r\n",
                b"\x89PNG\r\n\x1a\nlogo",
            ),
            ("image/jpeg", "", b"\xff\xd8\xff\xe0jpeg"),
        ]);
        let m = read_mail(&raw).unwrap();
        assert_eq!(m.from, "alice@acme.example");
        assert_eq!(m.subject, "Re: invoice 42");
        let names: Vec<&str> = m.documents.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.pdf", "scan.bin", "attachment 5"]);
        assert_eq!(&m.documents[1].1[..], b"II*\0rest");
        assert_eq!(m.ignored, ["c.doc"]);
        assert_eq!(
            m.body.as_deref().map(str::trim),
            Some("Please find the invoice.")
        );
    }

    #[test]
    fn mail_without_from_or_attachments() {
        let r = read_mail(b"Subject: x\r\n\r\nhello\r\n").unwrap_err();
        assert_eq!(r.code, 550);
        let m = read_mail(b"From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n").unwrap();
        assert!(m.documents.is_empty());
        assert_eq!(m.subject, "x");
    }

    #[test]
    fn submission_refusals_map_to_replies() {
        use crate::outbound::DocumentError;
        let r = submit_reply(&SubmitError::Document(DocumentError {
            name: "a.pdf".into(),
            reason: "corrupt".into(),
        }));
        assert_eq!(r.code, 550);
        assert!(r.text.contains("a.pdf: corrupt"), "{}", r.text);
        assert_eq!(submit_reply(&SubmitError::Busy).code, 451);
        assert_eq!(submit_reply(&SubmitError::Internal("x".into())).code, 451);
        let r = submit_reply(&SubmitError::Billing(BillingError::AccountSuspended(
            "acme".into(),
        )));
        assert_eq!(
            (r.code, r.text.as_str()),
            (
                550,
                "5.7.1 account `acme` is suspended: nothing can be sent"
            )
        );
    }
}
