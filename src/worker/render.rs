//! Turns a job's captured media into the file the email carries: the fax TIFF into `fax.pdf`,
//! the voicemail WAV into `voicemail.mp3` (or the WAV itself when `delivery.voicemail_format`
//! is `wav`). A voicemail job with no media at all is a missed call: nothing to attach.
//!
//! The rendered file is written into the job folder (temp file, fsync, rename) *before* the
//! email is composed, and a later attempt reuses it: every recipient, on every attempt, gets
//! exactly the bytes the spool keeps. CPU-heavy; the worker runs it on the blocking pool.

use std::fs;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faxvox_codecs::pdf::{tiff_to_pdf, PdfOptions};
use faxvox_codecs::recording::{encode_mp3, read_wav, Mp3Quality};
use faxvox_spool::JobKind;

use crate::delivery::{
    Attachment, FaxDetails, FaxQuality, Kind, Media, OmitReason, PageCutDetails,
};

use crate::jobs::JobFacts;

/// Name of the rendered fax in the job folder.
pub const FAX_PDF: &str = "fax.pdf";
/// Name of the rendered voicemail (MP3 format) in the job folder.
pub const VOICEMAIL_MP3: &str = "voicemail.mp3";

pub use crate::delivery::VoicemailFormat;

/// What rendering needs; owned so it can move to the blocking pool.
pub(crate) struct RenderInput {
    pub dir: std::path::PathBuf,
    pub kind: JobKind,
    pub media: Vec<String>,
    pub facts: JobFacts,
    pub format: VoicemailFormat,
    pub start: SystemTime,
    /// `20261127-0815`: local date and time for the attachment's file name.
    pub stamp: String,
}

/// The email's media and what the composer says about it.
pub(crate) struct Rendered {
    pub kind: Kind,
    pub media: Media,
    /// The file in the job folder that is attached, with its size.
    pub file: Option<(String, u64)>,
    /// Problems noted in the email (damaged TIFF rows…) or why nothing could be attached.
    pub warnings: Vec<String>,
}

/// Renders the attachment. An I/O error (cannot read the media or write the rendered file)
/// is returned for a retry; media that cannot be converted give an email without attachment
/// that says so (the original stays in the spool).
pub(crate) fn render(input: &RenderInput) -> io::Result<Rendered> {
    match input.kind {
        JobKind::Voicemail => render_voicemail(input),
        _ => render_fax(input),
    }
}

fn find_media<'a>(input: &'a RenderInput, exts: &[&str]) -> Option<&'a str> {
    input.media.iter().map(String::as_str).find(|name| {
        let lower = name.to_ascii_lowercase();
        exts.iter().any(|e| lower.ends_with(e))
    })
}

fn omitted(reason: String) -> Media {
    Media::Omitted(OmitReason::Unavailable { reason })
}

fn render_fax(input: &RenderInput) -> io::Result<Rendered> {
    let f = input.facts.fax.clone().unwrap_or_default();
    let mut details = FaxDetails {
        pages_received: 0,
        pages_expected: f.pages_expected,
        partial: f.partial,
        stopped_at_page: f.stopped_at_page,
        remote_station_id: f.remote_station_id.clone(),
        resolution_dpi: None,
        bit_rate: f.bit_rate,
        quality: FaxQuality::Good,
        bad_rows: 0,
        cut: f.cut_page.map(|page| PageCutDetails {
            page,
            at_mm: f.cut_at_mm.unwrap_or(0),
        }),
    };
    let Some(src) = find_media(input, &[".tif", ".tiff"]) else {
        let why = "the job holds no TIFF file".to_string();
        return Ok(Rendered {
            kind: Kind::Fax(details),
            media: omitted(why.clone()),
            file: None,
            warnings: vec![why],
        });
    };
    let tiff = fs::read(input.dir.join(src))?;
    let opts = PdfOptions {
        title: if input.facts.caller_number.is_empty() {
            "Fax".to_string()
        } else {
            format!("Fax {}", input.facts.caller_number)
        },
        creation_unix: input
            .start
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs() as i64),
    };
    let conv = match tiff_to_pdf(&tiff, &opts) {
        Ok(c) => c,
        Err(e) => {
            let why = format!("{src} cannot be converted to PDF: {e}");
            return Ok(Rendered {
                kind: Kind::Fax(details),
                media: omitted(why.clone()),
                file: None,
                warnings: vec![why],
            });
        }
    };
    let pages = conv.pages.len() as u32;
    let total_rows: u32 = conv.pages.iter().map(|p| p.height).sum();
    let bad_rows: u32 = conv
        .pages
        .iter()
        .map(|p| p.height.saturating_sub(p.rows_decoded))
        .sum();
    // A page that did not decode to its end is where the fax breaks off: say so, as for a
    // call cut during that page (the PDF still holds what could be read, the rest white).
    let first_damaged = conv
        .pages
        .iter()
        .position(|p| p.rows_decoded < p.height)
        .map(|i| i as u32 + 1);
    details.pages_received = pages;
    details.pages_expected = details.pages_expected.or(Some(pages));
    if let Some(k) = first_damaged {
        details.partial = true;
        details.pages_received = k - 1;
        details.stopped_at_page = Some(k);
    } else if details.partial && details.stopped_at_page.is_none() {
        details.stopped_at_page = Some(pages + 1);
    }
    details.bad_rows = bad_rows;
    details.quality = FaxQuality::from_bad_rows(bad_rows, total_rows);
    details.resolution_dpi = conv.pages.first().map(|p| {
        (
            p.resolution.x_dpi.round() as u32,
            p.resolution.y_dpi.round() as u32,
        )
    });
    let path = input.dir.join(FAX_PDF);
    let pdf = if path.exists() {
        // An earlier attempt rendered it (and may have sent it): send the same bytes.
        fs::read(&path)?
    } else {
        crate::fsutil::write_private(&path, &conv.pdf)?;
        conv.pdf
    };
    let size = pdf.len() as u64;
    Ok(Rendered {
        kind: Kind::Fax(details),
        media: Media::Attached(Attachment {
            filename: format!("fax-{}.pdf", input.stamp),
            mime_type: "application/pdf".into(),
            data: pdf,
        }),
        file: Some((FAX_PDF.to_string(), size)),
        warnings: conv.warnings,
    })
}

fn render_voicemail(input: &RenderInput) -> io::Result<Rendered> {
    let call = input.facts.duration();
    if input.media.is_empty() {
        // A voicemail job without any media is a missed call (the gateway enqueues one when
        // the caller left no message): an email with no attachment.
        return Ok(Rendered {
            kind: Kind::MissedCall,
            media: Media::None,
            file: None,
            warnings: Vec::new(),
        });
    }
    let Some(src) = find_media(input, &[".wav"]) else {
        let why = "the job holds no WAV file".to_string();
        return Ok(Rendered {
            kind: Kind::Voicemail { recording: call },
            media: omitted(why.clone()),
            file: None,
            warnings: vec![why],
        });
    };
    let wav = fs::read(input.dir.join(src))?;
    let samples = match read_wav(&wav) {
        Ok(s) => s,
        Err(e) => {
            let why = format!("{src} cannot be read: {e}");
            return Ok(Rendered {
                kind: Kind::Voicemail { recording: call },
                media: omitted(why.clone()),
                file: None,
                warnings: vec![why],
            });
        }
    };
    let recording = Duration::from_millis(samples.len() as u64 * 1000 / 8000);
    let kind = Kind::Voicemail { recording };
    let (name, filename, mime, data) = match input.format {
        VoicemailFormat::Wav => (
            src.to_string(),
            format!("message-{}.wav", input.stamp),
            "audio/wav",
            wav,
        ),
        VoicemailFormat::Mp3 => {
            let path = input.dir.join(VOICEMAIL_MP3);
            let mp3 = if path.exists() {
                fs::read(&path)?
            } else {
                match encode_mp3(&samples, Mp3Quality::Standard) {
                    Ok(mp3) => {
                        crate::fsutil::write_private(&path, &mp3)?;
                        mp3
                    }
                    Err(e) => {
                        let why = format!("{src} cannot be encoded as MP3: {e}");
                        return Ok(Rendered {
                            kind,
                            media: omitted(why.clone()),
                            file: None,
                            warnings: vec![why],
                        });
                    }
                }
            };
            (
                VOICEMAIL_MP3.to_string(),
                format!("message-{}.mp3", input.stamp),
                "audio/mpeg",
                mp3,
            )
        }
    };
    let size = data.len() as u64;
    Ok(Rendered {
        kind,
        media: Media::Attached(Attachment {
            filename,
            mime_type: mime.into(),
            data,
        }),
        file: Some((name, size)),
        warnings: Vec::new(),
    })
}
