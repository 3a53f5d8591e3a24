//! Sample messages and media for the delivery tests.

use std::time::{Duration, SystemTime};

use faxvox::delivery::{Attachment, FaxDetails, FaxQuality, Kind, Locale, Media, Message};

pub const JOB: &str = "20261127T071530Z-3f9a2c1b";
/// 2026-11-27T07:15:30Z (08:15:30 in Paris, CET).
pub const WINTER_START: u64 = 1_795_763_730;
/// 2026-07-13T07:00:00Z (09:00 in Paris, CEST).
pub const SUMMER_START: u64 = 1_783_926_000;

/// A real fax PDF when the repository has one, else bytes covering every byte value (what
/// matters here is that the attachment comes back byte-identical).
pub fn pdf_bytes() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/letter.pdf")).unwrap_or_else(|_| {
        let mut v = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        v.extend((0..20_000u32).map(|i| (i * 7 % 256) as u8));
        v.extend_from_slice(b"\n%%EOF\n");
        v
    })
}

/// A 1-second 8 kHz 16-bit mono WAV (a 440 Hz tone).
pub fn wav_bytes() -> Vec<u8> {
    let samples: Vec<i16> = (0..8000)
        .map(|i| ((i as f32 * 440.0 * std::f32::consts::TAU / 8000.0).sin() * 8000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&1u16.to_le_bytes()); // mono
    v.extend_from_slice(&8000u32.to_le_bytes());
    v.extend_from_slice(&16000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v
}

pub fn fax_message(recipients: &[&str], locale: Locale, pages: u32) -> Message {
    Message {
        job_id: JOB.into(),
        kind: Kind::Fax(FaxDetails {
            pages_received: pages,
            pages_expected: Some(pages),
            partial: false,
            stopped_at_page: None,
            remote_station_id: Some("+33 2 53 43 75 55".into()),
            resolution_dpi: Some((204, 196)),
            bit_rate: Some(14400),
            quality: FaxQuality::Good,
            bad_rows: 0,
            cut: None,
        }),
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        account_name: "Cabinet Lefèvre & Associés".into(),
        locale,
        time_zone: "Europe/Paris".into(),
        caller_number: "+33253437555".into(),
        caller_name: None,
        called_number: "+33299001122".into(),
        start: SystemTime::UNIX_EPOCH + Duration::from_secs(WINTER_START),
        duration: Duration::from_secs(95),
        media: Media::Attached(Attachment {
            filename: "fax-20261127-0815.pdf".into(),
            mime_type: "application/pdf".into(),
            data: pdf_bytes(),
        }),
    }
}

pub fn voicemail_message(recipients: &[&str], locale: Locale) -> Message {
    Message {
        job_id: "20261127T091000Z-0badc0de".into(),
        kind: Kind::Voicemail {
            recording: Duration::from_secs(42),
        },
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        account_name: "Zoé".into(),
        locale,
        time_zone: "Europe/Paris".into(),
        caller_number: "+33612345678".into(),
        caller_name: Some("Zoé Lefèvre".into()),
        called_number: "+33299001122".into(),
        start: SystemTime::UNIX_EPOCH + Duration::from_secs(WINTER_START + 7000),
        duration: Duration::from_secs(61),
        media: Media::Attached(Attachment {
            filename: "message vocal Zoé.wav".into(),
            mime_type: "audio/wav".into(),
            data: wav_bytes(),
        }),
    }
}
