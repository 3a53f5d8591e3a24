//! Builds the email for one captured message from plain data.
//!
//! Nothing here reads the spool or the database: the worker fills a [`Message`], the
//! [`Composer`] renders subject and bodies from the templates in the account's language and
//! time zone and returns RFC 5322 bytes ([`Composed`]) ready for any transport. Composing is
//! pure apart from the random part of the Message-ID, so a retry can recompose safely.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use jiff::tz::TimeZone;
use jiff::Timestamp;
use mail_builder::headers::address::Address as MbAddress;
use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;
use serde::Serialize;
use tracing::{debug, warn};

use super::phone::{format_number, format_number_near};
use super::templates::Templates;
use super::{sanitize_text, DeliveryError};

/// Longest caller name, account name or station id kept (characters).
const MAX_NAME_CHARS: usize = 80;
/// Longest subject kept after rendering (characters).
const MAX_SUBJECT_CHARS: usize = 250;

/// What was captured. Each kind has its own templates.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A received fax; the attachment is normally the PDF.
    Fax(FaxDetails),
    /// A voicemail; `recording` is the length of the message itself (not of the call).
    Voicemail { recording: Duration },
    /// A call that left nothing: no attachment.
    MissedCall,
}

impl Kind {
    /// Template prefix and `kind` variable: `fax`, `voicemail` or `missed_call`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Fax(_) => "fax",
            Kind::Voicemail { .. } => "voicemail",
            Kind::MissedCall => "missed_call",
        }
    }
}

/// Language of the email (subject, bodies, dates, sizes). French by default, the gateway's
/// first audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    /// Template infix and `locale` variable: `fr` or `en`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    /// Accepts `fr`, `fr-FR`, `fr_CA`, `en`, `en-GB`… (case-insensitive).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "fr" => Some(Locale::Fr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

/// Overall legibility of a received fax, judged from the rows the decoder flagged as bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaxQuality {
    Good,
    SomeErrors,
    Poor,
}

impl FaxQuality {
    /// Good up to 0.5 % bad rows (a few bad rows are normal without ECM and invisible), some
    /// errors up to 5 %, poor above. `total_rows == 0` with bad rows counts as poor.
    pub fn from_bad_rows(bad_rows: u32, total_rows: u32) -> FaxQuality {
        if bad_rows == 0 {
            return FaxQuality::Good;
        }
        if total_rows == 0 {
            return FaxQuality::Poor;
        }
        let per_mille = u64::from(bad_rows) * 1000 / u64::from(total_rows);
        match per_mille {
            0..=5 => FaxQuality::Good,
            6..=50 => FaxQuality::SomeErrors,
            _ => FaxQuality::Poor,
        }
    }
}

/// Facts about a received fax, as reported by the fax session.
#[derive(Debug, Clone, PartialEq)]
pub struct FaxDetails {
    /// Pages fully received (and in the attachment).
    pub pages_received: u32,
    /// Pages the sender announced, when known.
    pub pages_expected: Option<u32>,
    /// The call ended before the sender said it was done.
    pub partial: bool,
    /// For a partial fax: the page being received when the call ended.
    pub stopped_at_page: Option<u32>,
    /// The sender's station identifier (TSI), if it sent one.
    pub remote_station_id: Option<String>,
    /// Horizontal × vertical resolution in dots per inch (e.g. 204 × 196).
    pub resolution_dpi: Option<(u32, u32)>,
    /// Modem bit rate of the last page, bits per second.
    pub bit_rate: Option<u32>,
    pub quality: FaxQuality,
    /// Rows the decoder flagged as bad, over all pages.
    pub bad_rows: u32,
    /// A page longer than the gateway's limit was cut (the call was ended there).
    pub cut: Option<PageCutDetails>,
}

/// A received page cut at the gateway's length limit (`fax.max_page_length_mm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCutDetails {
    /// 1-based page number.
    pub page: u32,
    /// The length it was cut at, millimetres.
    pub at_mm: u32,
}

/// A file to attach.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// Shown to the recipient; cleaned of control characters and path separators.
    pub filename: String,
    /// `type/subtype`; anything malformed becomes `application/octet-stream`.
    pub mime_type: String,
    pub data: Vec<u8>,
}

/// Why the media is not attached; the email then tells the recipient and gives the job id.
#[derive(Debug, Clone, PartialEq)]
pub enum OmitReason {
    /// Larger than `delivery.max_attachment_bytes`: left in the spool.
    TooLarge { size: u64, limit: u64 },
    /// Could not be produced (conversion failed…); `reason` is for the administrator.
    Unavailable { reason: String },
}

/// The media part of the email.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    Attached(Attachment),
    Omitted(OmitReason),
    /// Nothing to attach (missed call).
    None,
}

/// Everything the email says about one captured message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Spool job id: in the `X-Faxvox-Job` header, the Message-ID and, when the media is not
    /// attached, the body.
    pub job_id: String,
    pub kind: Kind,
    /// The account's addresses; all of them go in `To`.
    pub recipients: Vec<String>,
    /// Account display name, used as the recipients' display name.
    pub account_name: String,
    pub locale: Locale,
    /// IANA zone (`Europe/Paris`) for the times shown; an unknown zone falls back to UTC.
    pub time_zone: String,
    /// Caller number as signalled (E.164 or national); empty when withheld.
    pub caller_number: String,
    /// Caller display name, when signalled. Untrusted: cleaned before use.
    pub caller_name: Option<String>,
    /// The number that was dialled (the account's DID).
    pub called_number: String,
    /// Call start (UTC).
    pub start: SystemTime,
    /// Call length.
    pub duration: Duration,
    pub media: Media,
}

/// A composed email, ready for [`super::Transport::send`].
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    /// RFC 5322 bytes, CRLF line ends, 7-bit clean.
    pub bytes: Vec<u8>,
    /// Without angle brackets.
    pub message_id: String,
    pub subject: String,
    /// Envelope sender (the address part of `smtp.from`).
    pub envelope_from: String,
    /// Envelope recipients (validated).
    pub recipients: Vec<String>,
    /// Whether the media is in the email.
    pub attached: bool,
}

/// The sender identity as parsed from `smtp.from`.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    pub name: Option<String>,
    pub address: String,
    pub domain: String,
}

impl Sender {
    pub(crate) fn parse(from: &str) -> Result<Sender, DeliveryError> {
        let mailbox = lettre::message::Mailbox::from_str(from.trim()).map_err(|e| {
            DeliveryError::InvalidAddress {
                address: from.to_string(),
                reason: format!("smtp.from: {e}"),
            }
        })?;
        let name = mailbox
            .name
            .as_deref()
            .map(|n| sanitize_text(n, MAX_NAME_CHARS))
            .filter(|n| !n.is_empty());
        Ok(Sender {
            name,
            address: mailbox.email.to_string(),
            domain: mailbox.email.domain().to_string(),
        })
    }

    pub(crate) fn mb_address(&self) -> MbAddress<'static> {
        MbAddress::new_address(self.name.clone(), self.address.clone())
    }

    /// A fresh `local@domain` Message-ID (no brackets) mentioning the job.
    pub(crate) fn message_id(&self, job_id: &str) -> String {
        let job: String = job_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(64)
            .collect();
        let job = job.trim_matches('.');
        let nonce: u64 = rand::random();
        if job.is_empty() {
            format!("faxvox.{nonce:016x}@{}", self.domain)
        } else {
            format!("{job}.{nonce:016x}@{}", self.domain)
        }
    }
}

/// Validates one recipient address (the account's data is not trusted to be clean).
pub(crate) fn parse_recipient(address: &str) -> Result<String, DeliveryError> {
    let trimmed = address.trim();
    lettre::Address::from_str(trimmed)
        .map(|a| a.to_string())
        .map_err(|e| DeliveryError::InvalidAddress {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// Value for a header we write ourselves without encoding: printable ASCII only.
pub(crate) fn ascii_header_value(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Renders emails from [`Message`]s. Built once at startup; cheap to share (`&self`).
#[derive(Debug)]
pub struct Composer {
    sender: Sender,
    templates: Templates,
    max_attachment_bytes: u64,
}

impl Composer {
    /// `from` is `smtp.from` (`fax@example.com` or `Faxvox <fax@example.com>`). Every
    /// template is rendered once with sample data so a broken override fails at startup,
    /// not when the first fax arrives.
    pub fn new(
        from: &str,
        templates: Templates,
        max_attachment_bytes: u64,
    ) -> Result<Composer, DeliveryError> {
        let composer = Composer {
            sender: Sender::parse(from)?,
            templates,
            max_attachment_bytes,
        };
        for sample in samples() {
            composer.compose(&sample)?;
        }
        for locale in [Locale::Fr, Locale::En] {
            composer.compose_dead_job_notice(
                &super::notice::DeadJob::sample(),
                "admin@example.com",
                locale,
            )?;
        }
        super::account_mail::check_templates(&composer)?;
        Ok(composer)
    }

    /// From `smtp.from`, `delivery.templates_dir` and `delivery.max_attachment_bytes`.
    pub fn from_config(
        smtp: &super::SmtpConfig,
        delivery: &super::DeliveryConfig,
    ) -> Result<Composer, DeliveryError> {
        Composer::new(
            &smtp.from,
            Templates::from_config(delivery)?,
            delivery.max_attachment_bytes,
        )
    }

    /// Envelope sender: the address part of `smtp.from`.
    pub fn envelope_from(&self) -> &str {
        &self.sender.address
    }

    pub(crate) fn sender(&self) -> &Sender {
        &self.sender
    }

    pub(crate) fn templates(&self) -> &Templates {
        &self.templates
    }

    /// Builds the email for `msg`. Fails only on bad data (no or invalid recipients) or a
    /// template that does not render; both are permanent for this job.
    pub fn compose(&self, msg: &Message) -> Result<Composed, DeliveryError> {
        if msg.recipients.is_empty() {
            return Err(DeliveryError::NoRecipients {
                job: msg.job_id.clone(),
            });
        }
        let recipients = msg
            .recipients
            .iter()
            .map(|r| parse_recipient(r))
            .collect::<Result<Vec<_>, _>>()?;

        let (tz, zone_name) = resolve_zone(&msg.time_zone, &msg.job_id);
        let start = Timestamp::try_from(msg.start).unwrap_or(Timestamp::UNIX_EPOCH);
        let end = start
            .checked_add(jiff::SignedDuration::try_from(msg.duration).unwrap_or_default())
            .unwrap_or(start);

        let media = self.media_context(msg);
        let ctx = build_context(msg, &tz, &zone_name, start, &media);

        let kind = msg.kind.name();
        let locale = msg.locale.tag();
        let subject = self
            .templates
            .render(&format!("{kind}.{locale}.subject.txt"), &ctx)?;
        let subject = sanitize_text(&subject, MAX_SUBJECT_CHARS);
        let text = self
            .templates
            .render(&format!("{kind}.{locale}.body.txt"), &ctx)?;
        let html = self
            .templates
            .render(&format!("{kind}.{locale}.body.html"), &ctx)?;

        let account_name = sanitize_text(&msg.account_name, MAX_NAME_CHARS);
        let to: Vec<MbAddress<'_>> = recipients
            .iter()
            .map(|r| {
                MbAddress::new_address(
                    (!account_name.is_empty()).then(|| account_name.clone()),
                    r.clone(),
                )
            })
            .collect();
        let message_id = self.sender.message_id(&msg.job_id);
        // Date is when the call ended, in the account's zone: a message delivered late after
        // retries still sorts at the time of the call.
        let date = jiff::fmt::rfc2822::to_string(&end.to_zoned_datetime(tz.clone()))
            .unwrap_or_else(|_| {
                mail_builder::headers::date::Date::new(end.as_second()).to_rfc822()
            });

        let mut builder = MessageBuilder::new()
            .from(self.sender.mb_address())
            .to(MbAddress::new_list(to))
            .subject(subject.clone())
            .header("Date", Raw::new(date))
            .message_id(message_id.clone())
            .header("X-Faxvox-Job", Raw::new(ascii_header_value(&msg.job_id)))
            .header("X-Faxvox-Kind", Raw::new(kind))
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(text)
            .html_body(html);
        if let MediaCtx {
            attach: Some(a), ..
        } = &media
        {
            builder = builder.attachment(a.mime.clone(), a.filename.clone(), a.data);
        }
        let bytes = builder.write_to_vec().map_err(DeliveryError::Build)?;
        debug!(job = %msg.job_id, kind, bytes = bytes.len(), attached = media.attach.is_some(), "email composed");
        Ok(Composed {
            bytes,
            message_id,
            subject,
            envelope_from: self.sender.address.clone(),
            recipients,
            attached: media.attach.is_some(),
        })
    }

    fn media_context<'m>(&self, msg: &'m Message) -> MediaCtx<'m> {
        let locale = msg.locale;
        match &msg.media {
            Media::Attached(a) if a.data.len() as u64 > self.max_attachment_bytes => {
                let size = a.data.len() as u64;
                warn!(job = %msg.job_id, size, limit = self.max_attachment_bytes, "attachment too large; not attached");
                MediaCtx::omitted(
                    OmitReason::TooLarge {
                        size,
                        limit: self.max_attachment_bytes,
                    },
                    locale,
                )
            }
            Media::Attached(a) => {
                let filename = clean_filename(&a.filename, &msg.kind);
                let mime = clean_mime(&a.mime_type);
                MediaCtx {
                    attachment: Some(AttachmentCtx {
                        filename: filename.clone(),
                        mime: mime.clone(),
                        size: a.data.len() as u64,
                        size_display: format_size(a.data.len() as u64, locale),
                    }),
                    omitted: None,
                    attach: Some(AttachPart {
                        filename,
                        mime,
                        data: &a.data,
                    }),
                }
            }
            Media::Omitted(r) => MediaCtx::omitted(r.clone(), locale),
            Media::None => MediaCtx {
                attachment: None,
                omitted: None,
                attach: None,
            },
        }
    }
}

struct AttachPart<'m> {
    filename: String,
    mime: String,
    data: &'m [u8],
}

struct MediaCtx<'m> {
    attachment: Option<AttachmentCtx>,
    omitted: Option<OmittedCtx>,
    attach: Option<AttachPart<'m>>,
}

impl MediaCtx<'_> {
    fn omitted(reason: OmitReason, locale: Locale) -> MediaCtx<'static> {
        let ctx = match reason {
            OmitReason::TooLarge { size, limit } => OmittedCtx {
                reason: "too_large",
                size: Some(size),
                size_display: Some(format_size(size, locale)),
                limit: Some(limit),
                limit_display: Some(format_size(limit, locale)),
                detail: None,
            },
            OmitReason::Unavailable { reason } => OmittedCtx {
                reason: "unavailable",
                size: None,
                size_display: None,
                limit: None,
                limit_display: None,
                detail: Some(sanitize_text(&reason, 300)),
            },
        };
        MediaCtx {
            attachment: None,
            omitted: Some(ctx),
            attach: None,
        }
    }
}

fn resolve_zone(name: &str, job: &str) -> (TimeZone, String) {
    let name = name.trim();
    if !name.is_empty() {
        match TimeZone::get(name) {
            Ok(tz) => return (tz, name.to_string()),
            Err(e) => warn!(job, zone = name, error = %e, "unknown time zone; showing UTC"),
        }
    }
    (TimeZone::UTC, "UTC".to_string())
}

// ---------------------------------------------------------------------------------------------
// Template context. Field names are the template variables documented in templates/README.md.

#[derive(Serialize)]
struct Ctx<'a> {
    kind: &'static str,
    locale: &'static str,
    job_id: &'a str,
    account: AccountCtx,
    caller: CallerCtx,
    called: NumberCtx,
    start: TimeCtx,
    duration: DurationCtx,
    fax: Option<FaxCtx>,
    voicemail: Option<VoicemailCtx>,
    attachment: Option<&'a AttachmentCtx>,
    omitted: Option<&'a OmittedCtx>,
}

#[derive(Serialize)]
struct AccountCtx {
    name: String,
}

#[derive(Serialize)]
struct CallerCtx {
    number: String,
    display: String,
    name: Option<String>,
    label: String,
}

#[derive(Serialize)]
struct NumberCtx {
    number: String,
    display: String,
}

#[derive(Serialize)]
pub(crate) struct TimeCtx {
    pub date: String,
    pub time: String,
    pub long: String,
    pub zone: String,
    pub abbreviation: String,
    pub offset: String,
    pub iso: String,
}

#[derive(Serialize)]
struct DurationCtx {
    seconds: u64,
    display: String,
}

#[derive(Serialize)]
struct FaxCtx {
    pages_received: u32,
    pages_expected: Option<u32>,
    partial: bool,
    stopped_at_page: Option<u32>,
    remote_id: Option<String>,
    resolution: Option<ResolutionCtx>,
    bit_rate: Option<u32>,
    quality: FaxQuality,
    bad_rows: u32,
    cut: Option<CutCtx>,
}

#[derive(Serialize)]
struct CutCtx {
    page: u32,
    mm: u32,
}

#[derive(Serialize)]
struct ResolutionCtx {
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct VoicemailCtx {
    duration: DurationCtx,
}

#[derive(Serialize)]
struct AttachmentCtx {
    filename: String,
    mime: String,
    size: u64,
    size_display: String,
}

#[derive(Serialize)]
struct OmittedCtx {
    reason: &'static str,
    size: Option<u64>,
    size_display: Option<String>,
    limit: Option<u64>,
    limit_display: Option<String>,
    detail: Option<String>,
}

fn build_context<'a>(
    msg: &'a Message,
    tz: &TimeZone,
    zone_name: &str,
    start: Timestamp,
    media: &'a MediaCtx<'_>,
) -> Ctx<'a> {
    let caller_number = sanitize_text(&msg.caller_number, 64);
    let called_number = sanitize_text(&msg.called_number, 64);
    // A national caller number is read in the country of the line that was called.
    let caller_display = format_number_near(&caller_number, Some(&called_number));
    let caller_name = msg
        .caller_name
        .as_deref()
        .map(|n| sanitize_text(n, MAX_NAME_CHARS))
        .filter(|n| !n.is_empty())
        // Some PBXs send the number again as the name: showing it twice helps nobody.
        .filter(|n| digits(n) != digits(&caller_number) || digits(n).is_empty());
    let label = match (&caller_name, caller_display.is_empty()) {
        (Some(name), false) => format!("{name} ({caller_display})"),
        (Some(name), true) => name.clone(),
        (None, _) => caller_display.clone(),
    };
    Ctx {
        kind: msg.kind.name(),
        locale: msg.locale.tag(),
        job_id: &msg.job_id,
        account: AccountCtx {
            name: sanitize_text(&msg.account_name, MAX_NAME_CHARS),
        },
        caller: CallerCtx {
            number: caller_number,
            display: caller_display,
            name: caller_name,
            label,
        },
        called: NumberCtx {
            display: format_number(&called_number),
            number: called_number,
        },
        start: time_context(start, tz, zone_name, msg.locale),
        duration: duration_context(msg.duration),
        fax: match &msg.kind {
            Kind::Fax(f) => Some(FaxCtx {
                pages_received: f.pages_received,
                pages_expected: f.pages_expected,
                partial: f.partial,
                stopped_at_page: f.stopped_at_page.filter(|_| f.partial),
                remote_id: f
                    .remote_station_id
                    .as_deref()
                    .map(|s| sanitize_text(s, MAX_NAME_CHARS))
                    .filter(|s| !s.is_empty()),
                resolution: f.resolution_dpi.map(|(x, y)| ResolutionCtx { x, y }),
                bit_rate: f.bit_rate,
                quality: f.quality,
                bad_rows: f.bad_rows,
                cut: f.cut.map(|c| CutCtx {
                    page: c.page,
                    mm: c.at_mm,
                }),
            }),
            _ => None,
        },
        voicemail: match &msg.kind {
            Kind::Voicemail { recording } => Some(VoicemailCtx {
                duration: duration_context(*recording),
            }),
            _ => None,
        },
        attachment: media.attachment.as_ref(),
        omitted: media.omitted.as_ref(),
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

const WEEKDAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Local date and time of `ts` in `tz`, in words for `locale`.
pub(crate) fn time_context(
    ts: Timestamp,
    tz: &TimeZone,
    zone_name: &str,
    locale: Locale,
) -> TimeCtx {
    let zdt = ts.to_zoned_datetime(tz.clone());
    let weekday = zdt.weekday().to_monday_zero_offset() as usize;
    let month = (zdt.month() - 1) as usize;
    let (day, year) = (zdt.day(), zdt.year());
    let time = format!("{:02}:{:02}", zdt.hour(), zdt.minute());
    let (date, long) = match locale {
        Locale::Fr => {
            let day_word = if day == 1 {
                "1er".to_string()
            } else {
                day.to_string()
            };
            let date = format!(
                "{} {day_word} {} {year}",
                WEEKDAYS_FR[weekday], MONTHS_FR[month]
            );
            let long = format!("{date} à {time}");
            (date, long)
        }
        Locale::En => {
            let date = format!("{} {day} {} {year}", WEEKDAYS_EN[weekday], MONTHS_EN[month]);
            let long = format!("{date} at {time}");
            (date, long)
        }
    };
    let info = tz.to_offset_info(ts);
    let secs = info.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let offset = format!(
        "{sign}{:02}:{:02}",
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    );
    TimeCtx {
        date,
        time,
        long,
        zone: zone_name.to_string(),
        abbreviation: info.abbreviation().to_string(),
        offset,
        iso: zdt.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    }
}

fn duration_context(d: Duration) -> DurationCtx {
    let seconds = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    DurationCtx {
        seconds,
        display: format_duration(seconds),
    }
}

/// `0:42`, `12:05`, `1:02:03`.
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Decimal sizes: `512 o` / `340 ko` / `1,2 Mo` in French, `512 B` / `340 kB` / `1.2 MB` in
/// English.
pub fn format_size(bytes: u64, locale: Locale) -> String {
    let (b, k, m, g, sep) = match locale {
        Locale::Fr => ("o", "ko", "Mo", "Go", ','),
        Locale::En => ("B", "kB", "MB", "GB", '.'),
    };
    let one_decimal = |v: u64, unit: u64, name: &str| {
        let tenths = (v * 10 + unit / 2) / unit;
        if tenths >= 100 {
            format!("{} {name}", (tenths + 5) / 10)
        } else {
            format!("{}{sep}{} {name}", tenths / 10, tenths % 10)
        }
    };
    match bytes {
        0..=999 => format!("{bytes} {b}"),
        1_000..=999_999 => format!("{} {k}", (bytes + 500) / 1000),
        1_000_000..=999_999_999 => one_decimal(bytes, 1_000_000, m),
        _ => one_decimal(bytes, 1_000_000_000, g),
    }
}

fn clean_filename(name: &str, kind: &Kind) -> String {
    let cleaned: String = sanitize_text(name, 100)
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '"') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(['.', ' ']).to_string();
    if cleaned.is_empty() {
        match kind {
            Kind::Fax(_) => "fax.pdf".into(),
            Kind::Voicemail { .. } => "message.mp3".into(),
            Kind::MissedCall => "attachment.bin".into(),
        }
    } else {
        cleaned
    }
}

fn clean_mime(mime: &str) -> String {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let mime = mime.trim().to_ascii_lowercase();
    match mime.split_once('/') {
        Some((t, s)) if token(t) && token(s) => mime,
        _ => "application/octet-stream".into(),
    }
}

/// One sample message per kind and locale (and a partial fax, a fax with a page cut at the
/// length limit, an omitted attachment), used to check templates at startup.
fn samples() -> Vec<Message> {
    let base = |kind: Kind, locale: Locale, media: Media| Message {
        job_id: "20261127T071530Z-3f9a2c1b".into(),
        kind,
        recipients: vec!["someone@example.com".into()],
        account_name: "Sample".into(),
        locale,
        time_zone: "Europe/Paris".into(),
        caller_number: "+33253437555".into(),
        caller_name: Some("Sample".into()),
        called_number: "+33299000000".into(),
        start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
        duration: Duration::from_secs(95),
        media,
    };
    let fax = |partial: bool, cut: bool| {
        Kind::Fax(FaxDetails {
            pages_received: 3,
            pages_expected: Some(5),
            partial,
            stopped_at_page: partial.then_some(4),
            remote_station_id: Some("+33 2 53 43 75 55".into()),
            resolution_dpi: Some((204, 196)),
            bit_rate: Some(14400),
            quality: FaxQuality::SomeErrors,
            bad_rows: 12,
            cut: cut.then_some(PageCutDetails {
                page: 3,
                at_mm: 600,
            }),
        })
    };
    let pdf = || {
        Media::Attached(Attachment {
            filename: "fax.pdf".into(),
            mime_type: "application/pdf".into(),
            data: b"%PDF-1.4".to_vec(),
        })
    };
    let mut out = Vec::new();
    for locale in [Locale::Fr, Locale::En] {
        out.push(base(fax(false, false), locale, pdf()));
        out.push(base(fax(true, true), locale, pdf()));
        out.push(base(
            fax(true, false),
            locale,
            Media::Omitted(OmitReason::TooLarge {
                size: 20_000_000,
                limit: 10_000_000,
            }),
        ));
        out.push(base(
            Kind::Voicemail {
                recording: Duration::from_secs(42),
            },
            locale,
            Media::Omitted(OmitReason::Unavailable {
                reason: "sample".into(),
            }),
        ));
        out.push(base(Kind::MissedCall, locale, Media::None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composer() -> Composer {
        Composer::new("Faxvox <fax@gw.example>", Templates::builtin(), 1_000_000).unwrap()
    }

    fn msg(kind: Kind, locale: Locale) -> Message {
        Message {
            job_id: "20261127T071530Z-3f9a2c1b".into(),
            kind,
            recipients: vec!["a@example.com".into(), "b@example.com".into()],
            account_name: "Cabinet Dupont".into(),
            locale,
            time_zone: "Europe/Paris".into(),
            caller_number: "+33253437555".into(),
            caller_name: None,
            called_number: "+33299000000".into(),
            // 2026-11-27T07:15:30Z
            start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_763_730),
            duration: Duration::from_secs(95),
            media: Media::None,
        }
    }

    fn fax(pages: u32) -> Kind {
        Kind::Fax(FaxDetails {
            pages_received: pages,
            pages_expected: None,
            partial: false,
            stopped_at_page: None,
            remote_station_id: None,
            resolution_dpi: Some((204, 196)),
            bit_rate: Some(14400),
            quality: FaxQuality::Good,
            bad_rows: 0,
            cut: None,
        })
    }

    #[test]
    fn subjects_in_both_languages() {
        let c = composer();
        let s = |kind: Kind, locale: Locale, name: Option<&str>| {
            let mut m = msg(kind, locale);
            m.caller_name = name.map(str::to_string);
            c.compose(&m).unwrap().subject
        };
        assert_eq!(
            s(fax(3), Locale::Fr, None),
            "Fax de +33 2 53 43 75 55 – 3 pages"
        );
        assert_eq!(
            s(fax(1), Locale::Fr, None),
            "Fax de +33 2 53 43 75 55 – 1 page"
        );
        assert_eq!(
            s(fax(3), Locale::En, None),
            "Fax from +33 2 53 43 75 55 – 3 pages"
        );
        assert_eq!(
            s(fax(1), Locale::En, None),
            "Fax from +33 2 53 43 75 55 – 1 page"
        );
        let vm = || Kind::Voicemail {
            recording: Duration::from_millis(42_400),
        };
        let mut m = msg(vm(), Locale::Fr);
        m.caller_number = "+33612345678".into();
        m.caller_name = Some("Zoé Lefèvre".into());
        assert_eq!(
            c.compose(&m).unwrap().subject,
            "Message vocal de Zoé Lefèvre (+33 6 12 34 56 78) – 0:42"
        );
        m.locale = Locale::En;
        assert_eq!(
            c.compose(&m).unwrap().subject,
            "Voice message from Zoé Lefèvre (+33 6 12 34 56 78) – 0:42"
        );
        assert_eq!(
            s(Kind::MissedCall, Locale::Fr, None),
            "Appel manqué de +33 2 53 43 75 55"
        );
        assert_eq!(
            s(Kind::MissedCall, Locale::En, None),
            "Missed call from +33 2 53 43 75 55"
        );
        let mut m = msg(Kind::MissedCall, Locale::Fr);
        m.caller_number.clear();
        assert_eq!(
            c.compose(&m).unwrap().subject,
            "Appel manqué de numéro masqué"
        );
        m.locale = Locale::En;
        assert_eq!(
            c.compose(&m).unwrap().subject,
            "Missed call from withheld number"
        );
    }

    #[test]
    fn cut_fax_says_so() {
        let c = composer();
        for (locale, subject, body) in [
            (
                Locale::En,
                "Incomplete fax from +33 2 53 43 75 55 – page 2 too long, cut at 600 mm",
                "page 2 was longer than 600 mm",
            ),
            (
                Locale::Fr,
                "Fax incomplet de +33 2 53 43 75 55 – page 2 trop longue, coupée à 600 mm",
                "la page 2 dépassait 600 mm",
            ),
        ] {
            let m = msg(
                Kind::Fax(FaxDetails {
                    pages_received: 2,
                    pages_expected: None,
                    partial: true,
                    stopped_at_page: Some(2),
                    remote_station_id: None,
                    resolution_dpi: Some((204, 196)),
                    bit_rate: Some(14400),
                    quality: FaxQuality::Good,
                    bad_rows: 0,
                    cut: Some(PageCutDetails {
                        page: 2,
                        at_mm: 600,
                    }),
                }),
                locale,
            );
            let out = c.compose(&m).unwrap();
            assert_eq!(out.subject, subject);
            let parsed = mail_parser::MessageParser::default()
                .parse(&out.bytes)
                .unwrap();
            let text = parsed.body_text(0).unwrap();
            assert!(text.contains(body), "{text}");
            let html = parsed.body_html(0).unwrap();
            assert!(html.contains(body), "{html}");
        }
    }

    #[test]
    fn partial_fax_says_so() {
        let c = composer();
        let mut m = msg(
            Kind::Fax(FaxDetails {
                pages_received: 3,
                pages_expected: Some(5),
                partial: true,
                stopped_at_page: Some(4),
                remote_station_id: Some("ACME".into()),
                resolution_dpi: None,
                bit_rate: None,
                quality: FaxQuality::Poor,
                bad_rows: 300,
                cut: None,
            }),
            Locale::Fr,
        );
        let out = c.compose(&m).unwrap();
        assert_eq!(
            out.subject,
            "Fax incomplet de +33 2 53 43 75 55 – pages 1–3 reçues, appel interrompu pendant la page 4"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(&out.bytes)
            .unwrap();
        let text = parsed.body_text(0).unwrap();
        assert!(
            text.contains("pages 1–3 reçues, appel interrompu pendant la page 4"),
            "{text}"
        );
        m.locale = Locale::En;
        let out = c.compose(&m).unwrap();
        assert_eq!(
            out.subject,
            "Incomplete fax from +33 2 53 43 75 55 – pages 1–3 received, call dropped during page 4"
        );
    }

    #[test]
    fn times_are_local_with_dst() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        // Winter: UTC+1.
        let t = Timestamp::from_second(1_795_763_730).unwrap(); // 2026-11-27T07:15:30Z
        let c = time_context(t, &paris, "Europe/Paris", Locale::Fr);
        assert_eq!(c.time, "08:15");
        assert_eq!(c.long, "vendredi 27 novembre 2026 à 08:15");
        assert_eq!(c.offset, "+01:00");
        assert_eq!(c.abbreviation, "CET");
        assert_eq!(c.iso, "2026-11-27T08:15:30+01:00");
        // Summer: UTC+2.
        let t = Timestamp::from_second(1_783_926_000).unwrap(); // 2026-07-13T07:00:00Z
        let c = time_context(t, &paris, "Europe/Paris", Locale::En);
        assert_eq!(c.long, "Monday 13 July 2026 at 09:00");
        assert_eq!(c.offset, "+02:00");
        assert_eq!(c.abbreviation, "CEST");
        // The first of the month in French.
        let t = Timestamp::from_second(1_788_220_800).unwrap(); // 2026-09-01T00:00:00Z
        let c = time_context(t, &paris, "Europe/Paris", Locale::Fr);
        assert_eq!(c.long, "mardi 1er septembre 2026 à 02:00");
    }

    #[test]
    fn unknown_zone_falls_back_to_utc() {
        let c = composer();
        let mut m = msg(fax(1), Locale::En);
        m.time_zone = "Mars/Olympus".into();
        let out = c.compose(&m).unwrap();
        let text = String::from_utf8_lossy(&out.bytes);
        assert!(
            text.contains("Date: Fri, 27 Nov 2026 07:17:05 +0000"),
            "{text}"
        );
    }

    #[test]
    fn headers_and_injection() {
        let c = composer();
        let mut m = msg(fax(2), Locale::Fr);
        m.caller_name = Some("Evil\r\nBcc: evil@x\r\nX-Injected: 1".into());
        let out = c.compose(&m).unwrap();
        assert!(out.bytes.is_ascii());
        let raw = String::from_utf8(out.bytes.clone()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(!head.to_ascii_lowercase().contains("\nbcc:"), "{head}");
        assert!(!head.contains("\nX-Injected"), "{head}");
        assert!(
            head.contains("X-Faxvox-Job: 20261127T071530Z-3f9a2c1b\r\n"),
            "{head}"
        );
        assert!(
            head.contains("Date: Fri, 27 Nov 2026 08:17:05 +0100\r\n"),
            "{head}"
        );
        assert!(head.contains(&format!("Message-ID: <{}>", out.message_id)));
        assert!(out.message_id.ends_with("@gw.example"));
        assert!(out.message_id.starts_with("20261127T071530Z-3f9a2c1b."));
        // No bare LF anywhere.
        assert!(!raw.replace("\r\n", "").contains('\n'));
        let parsed = mail_parser::MessageParser::default()
            .parse(&out.bytes)
            .unwrap();
        assert_eq!(
            parsed.subject().unwrap(),
            "Fax de Evil Bcc: evil@x X-Injected: 1 (+33 2 53 43 75 55) – 2 pages"
        );
        let to: Vec<_> = parsed
            .to()
            .unwrap()
            .iter()
            .map(|a| a.address().unwrap().to_string())
            .collect();
        assert_eq!(to, ["a@example.com", "b@example.com"]);
        assert!(parsed.bcc().is_none());
        assert_ne!(
            c.compose(&m).unwrap().message_id,
            out.message_id,
            "Message-ID is unique"
        );
    }

    #[test]
    fn bad_recipients_are_refused() {
        let c = composer();
        let mut m = msg(fax(1), Locale::Fr);
        m.recipients = vec!["ok@example.com".into(), "x@y\r\nBcc: evil@x".into()];
        assert!(matches!(
            c.compose(&m),
            Err(DeliveryError::InvalidAddress { .. })
        ));
        m.recipients.clear();
        assert!(matches!(
            c.compose(&m),
            Err(DeliveryError::NoRecipients { .. })
        ));
        assert!(Composer::new("not an address", Templates::builtin(), 1).is_err());
    }

    #[test]
    fn sizes_durations_and_quality() {
        assert_eq!(format_size(512, Locale::Fr), "512 o");
        assert_eq!(format_size(340_400, Locale::En), "340 kB");
        assert_eq!(format_size(1_234_567, Locale::Fr), "1,2 Mo");
        assert_eq!(format_size(1_234_567, Locale::En), "1.2 MB");
        assert_eq!(format_size(10_000_000, Locale::En), "10 MB");
        assert_eq!(format_size(99_960_000, Locale::En), "100 MB");
        assert_eq!(format_duration(42), "0:42");
        assert_eq!(format_duration(725), "12:05");
        assert_eq!(format_duration(3723), "1:02:03");
        assert_eq!(FaxQuality::from_bad_rows(0, 0), FaxQuality::Good);
        assert_eq!(FaxQuality::from_bad_rows(5, 2000), FaxQuality::Good);
        assert_eq!(FaxQuality::from_bad_rows(50, 2000), FaxQuality::SomeErrors);
        assert_eq!(FaxQuality::from_bad_rows(500, 2000), FaxQuality::Poor);
        assert_eq!(Locale::from_tag("fr-FR"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::from_tag("de"), None);
        assert_eq!(clean_mime("Application/PDF"), "application/pdf");
        assert_eq!(clean_mime("text/html\r\nX: y"), "application/octet-stream");
        assert_eq!(
            clean_filename("../../etc/passwd", &Kind::MissedCall),
            "_.._etc_passwd"
        );
    }
}
