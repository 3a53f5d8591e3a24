//! `faxvox tiff2pdf IN.tif OUT.pdf`: converts a fax TIFF to PDF offline, the same conversion the
//! delivery worker runs. Damaged pages convert partially (warnings on stderr, exit code 0);
//! unreadable or unsupported files are an error (exit code 1).
//!
//! A clean-looking G4 page (one strip ending with its end-of-block code) is copied into the PDF
//! without decoding, as libtiff's `tiff2pdf` does; `--verify` decodes every page first, the way
//! the gateway does. The output replaces the file atomically but is not synced to disk unless
//! `--sync` asks for it: a conversion at hand can be run again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use faxvox_codecs::pdf::{self, ConvertOptions, PdfOptions};

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input TIFF file.
    pub input: PathBuf,
    /// Output PDF file (written atomically).
    pub output: PathBuf,
    /// Decode every page before copying it, to find damage inside G4 data (warnings).
    #[arg(long)]
    pub verify: bool,
    /// Sync the PDF to disk before exiting.
    #[arg(long)]
    pub sync: bool,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    let input =
        fs::read(&args.input).with_context(|| format!("cannot read {}", args.input.display()))?;
    let title = args
        .input
        .file_stem()
        .map(|s| format!("Fax {}", s.to_string_lossy()))
        .unwrap_or_else(|| "Fax".to_string());
    let opts = PdfOptions {
        title,
        creation_unix: None,
    };
    // Offline tool: use the cores (pages decode independently; output is identical).
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(8))
        .unwrap_or(1);
    let convert = ConvertOptions {
        threads,
        trust_g4: !args.verify,
    };
    let conversion = pdf::tiff_to_pdf_with(&input, &opts, convert)
        .with_context(|| format!("cannot convert {}", args.input.display()))?;
    for w in &conversion.warnings {
        eprintln!("warning: {w}");
    }
    write_output(&args.output, &conversion.pdf, args.sync)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let copied = conversion.pages.iter().filter(|p| p.copied).count();
    println!(
        "{}: {} page(s), {} bytes ({} page(s) G4 copied, {} re-encoded{})",
        args.output.display(),
        conversion.pages.len(),
        conversion.pdf.len(),
        copied,
        conversion.pages.len() - copied,
        if conversion.warnings.is_empty() {
            String::new()
        } else {
            format!(", {} warning(s)", conversion.warnings.len())
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Replaces `path` with `data` atomically (a temporary file renamed over it); synced to disk
/// (file and directory) only when `sync` is set.
pub(crate) fn write_output(path: &Path, data: &[u8], sync: bool) -> std::io::Result<()> {
    if sync {
        return crate::fsutil::write_atomic(path, data);
    }
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = fs::write(&tmp, data).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxvox_codecs::{tiff, Bitmap, Page, Resolution};

    fn sample_tiff() -> Vec<u8> {
        let mut b = Bitmap::new(1728, 200);
        b.fill_rect(100, 50, 800, 20);
        tiff::write_g4_tiff(&[Page {
            bitmap: b,
            resolution: Resolution::FINE,
        }])
    }

    #[test]
    fn converts_and_replaces_output_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.tif");
        let output = dir.path().join("out.pdf");
        fs::write(&input, sample_tiff()).expect("write");
        fs::write(&output, b"old contents").expect("write");
        let args = Args {
            input,
            output: output.clone(),
            verify: false,
            sync: false,
        };
        let code = run(&args, &Config::default()).expect("converts");
        assert_eq!(code, ExitCode::SUCCESS);
        let pdf = fs::read(&output).expect("output");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 500);
        // Only the input and the output remain: no temporary file left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn errors_are_messages_not_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("bad.tif");
        fs::write(&input, b"this is not a tiff").expect("write");
        let output = dir.path().join("out.pdf");
        let args = Args {
            input: input.clone(),
            output: output.clone(),
            verify: false,
            sync: false,
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("not a TIFF file"), "{err:#}");
        assert!(!output.exists());

        let args = Args {
            input: dir.path().join("missing.tif"),
            output: output.clone(),
            verify: false,
            sync: false,
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");

        fs::write(&input, sample_tiff()).expect("write");
        let args = Args {
            input,
            output: dir.path().join("no-such-dir").join("out.pdf"),
            verify: false,
            sync: true,
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    }
}
