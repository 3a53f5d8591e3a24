//! Voicemail greetings through the `faxvox` binary: `line add --greeting` and `line greeting`
//! decode an uploaded file once (44.1 kHz stereo here) into an 8 kHz WAV under
//! `<spool.dir>/greetings/`, refuse corrupt audio storing nothing, go back to the built-in
//! greeting with `--default`; the gateway's loader reads the stored file back and falls back
//! to the built-in greeting when it is gone.

use crate::support;

use std::path::{Path, PathBuf};

use faxvox::gateway::greeting::load_line_greeting;
use faxvox_codecs::greeting::default_greeting;
use faxvox_codecs::recording::read_wav;
use serde_json::Value;
use support::site::{Site, FAX_LINE};

const VOICE: &str = "+33299001133";

/// `secs` of a 440 Hz tone as a 44.1 kHz stereo 16-bit WAV (what a phone app exports).
fn cd_wav(secs: f32) -> Vec<u8> {
    let rate = 44_100u32;
    let frames = (rate as f32 * secs) as u32;
    let mut data = Vec::with_capacity(frames as usize * 4);
    for i in 0..frames {
        let s = ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 12_000.0) as i16;
        data.extend_from_slice(&s.to_le_bytes());
        data.extend_from_slice(&s.to_le_bytes());
    }
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&2u16.to_le_bytes()); // stereo
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * 4).to_le_bytes());
    w.extend_from_slice(&4u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    w
}

fn greeting_of(site: &Site, number: &str) -> Option<String> {
    let lines: Value = serde_json::from_str(&site.ok(&["line", "list", "--json"])).unwrap();
    let line = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["number"] == number)?;
    line["greeting"].as_str().map(str::to_string)
}

fn has_line(site: &Site, number: &str) -> bool {
    let lines: Value = serde_json::from_str(&site.ok(&["line", "list", "--json"])).unwrap();
    lines
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["number"] == number)
}

fn greetings_dir(site: &Site) -> PathBuf {
    site.path().join("spool").join("greetings")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn greetings_are_decoded_once_stored_as_8khz_and_refused_when_corrupt() {
    let site = Site::with_account(&["acme@example.com"]);
    let upload = site.write("hello.wav", &cd_wav(2.0));
    let out = site.ok(&[
        "line",
        "add",
        "+33 2 99 00 11 33",
        "--account",
        "acme",
        "--kind",
        "voicemail",
        "--greeting",
        upload.to_str().unwrap(),
    ]);
    assert!(out.contains("greeting of +33299001133"), "{out}");
    let stored = greetings_dir(&site).join(format!("{VOICE}.wav"));
    let recorded = greeting_of(&site, VOICE).expect("greeting recorded");
    assert_eq!(
        Path::new(&recorded).canonicalize().unwrap(),
        stored.canonicalize().unwrap()
    );
    assert!(Path::new(&recorded).is_absolute(), "{recorded}");
    let samples = read_wav(&std::fs::read(&stored).unwrap()).expect("8 kHz mono 16-bit WAV");
    assert!(
        (15_800..=16_200).contains(&samples.len()),
        "2 s at 8 kHz, got {}",
        samples.len()
    );
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak > 8_000, "the tone survives resampling: peak {peak}");
    // The gateway's loader plays exactly what was stored.
    assert_eq!(load_line_greeting(Some(Path::new(&recorded))), samples);

    // Corrupt audio: refused with a clear error, and neither line nor file is stored.
    let mut corrupt = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    corrupt.extend_from_slice(&[0xff; 40]);
    let bad = site.write("broken.wav", &corrupt);
    let out = site.run(&[
        "line",
        "add",
        "+33299001144",
        "--account",
        "acme",
        "--kind",
        "voicemail",
        "--greeting",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.wav") && err.contains("not a usable greeting"),
        "{err}"
    );
    assert!(err.contains("nothing was stored"), "{err}");
    assert!(!has_line(&site, "+33299001144"));
    assert_eq!(files_in(&greetings_dir(&site)), [format!("{VOICE}.wav")]);

    // Replacing with a corrupt file keeps the old greeting as it was.
    let before = std::fs::read(&stored).unwrap();
    let out = site.run(&["line", "greeting", VOICE, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&stored).unwrap(), before);
    assert_eq!(
        greeting_of(&site, VOICE).as_deref(),
        Some(recorded.as_str())
    );
    let text = site.write("notes.txt", b"not audio at all, just text");
    let out = site.run(&["line", "greeting", VOICE, text.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("notes.txt"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A new greeting replaces the old one in place.
    let longer = site.write("longer.wav", &cd_wav(3.0));
    site.ok(&["line", "greeting", VOICE, longer.to_str().unwrap()]);
    let samples = read_wav(&std::fs::read(&stored).unwrap()).unwrap();
    assert!(
        (23_800..=24_200).contains(&samples.len()),
        "{}",
        samples.len()
    );
    assert_eq!(files_in(&greetings_dir(&site)), [format!("{VOICE}.wav")]);

    // Only voicemail lines have greetings; the greeting needs a file or --default.
    let out = site.run(&["line", "greeting", FAX_LINE, longer.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fax line"));
    let out = site.run(&[
        "line",
        "add",
        "+33299001155",
        "--account",
        "acme",
        "--kind",
        "fax",
        "--greeting",
        longer.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!has_line(&site, "+33299001155"));
    assert!(!site.run(&["line", "greeting", VOICE]).status.success());

    // Back to the built-in greeting: the file goes, and the loader falls back.
    let out = site.ok(&["line", "greeting", VOICE, "--default"]);
    assert!(out.contains("built-in"), "{out}");
    assert_eq!(greeting_of(&site, VOICE), None);
    assert!(!stored.exists());
    assert_eq!(load_line_greeting(None), default_greeting());
    assert_eq!(load_line_greeting(Some(&stored)), default_greeting());
    let junk = site.write("junk.wav", b"junk");
    assert_eq!(load_line_greeting(Some(&junk)), default_greeting());
}
