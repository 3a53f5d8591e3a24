//! `faxvox tiff2pdf IN.tif OUT.pdf`: converts a fax TIFF to PDF offline, the same conversion the
//! delivery worker runs. Damaged pages convert partially (warnings on stderr, exit code 0);
//! unreadable or unsupported files are an error (exit code 1).

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faxvox_codecs::pdf::{self, PdfOptions};

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input TIFF file.
    pub input: PathBuf,
    /// Output PDF file (written atomically).
    pub output: PathBuf,
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
    let conversion = pdf::tiff_to_pdf_threads(&input, &opts, threads)
        .with_context(|| format!("cannot convert {}", args.input.display()))?;
    for w in &conversion.warnings {
        eprintln!("warning: {w}");
    }
    crate::fsutil::write_atomic(&args.output, &conversion.pdf)
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
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("not a TIFF file"), "{err:#}");
        assert!(!output.exists());

        let args = Args {
            input: dir.path().join("missing.tif"),
            output: output.clone(),
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");

        fs::write(&input, sample_tiff()).expect("write");
        let args = Args {
            input,
            output: dir.path().join("no-such-dir").join("out.pdf"),
        };
        let err = run(&args, &Config::default()).unwrap_err();
        assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    }
}
