//! `faxvox tiff2pdf IN.tif OUT.pdf`: converts a fax TIFF to PDF offline, the same conversion the
//! delivery worker runs. Damaged pages convert partially (warnings on stderr, exit code 0);
//! unreadable or unsupported files are an error (exit code 1).
//!
//! A clean-looking G4 page (one strip ending with its end-of-block code) is copied into the PDF
//! without decoding, as libtiff's `tiff2pdf` does; `--verify` decodes every page first, the way
//! the gateway does. The output replaces the file atomically but is not synced to disk unless
//! `--sync` asks for it: a conversion at hand can be run again.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use faxvox_codecs::pdf::{self, ConvertOptions, PdfOptions};

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

/// Runs the command. It reads no configuration: a conversion at hand depends only on its
/// arguments (and starts faster without it).
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let input = super::input::Input::open(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
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
    let conversion = pdf::prepare_tiff(&input, convert)
        .with_context(|| format!("cannot convert {}", args.input.display()))?;
    for w in &conversion.warnings {
        eprintln!("warning: {w}");
    }
    // Straight to the file: the PDF is about the size of the TIFF, no need to hold it too.
    let mut len = 0;
    write_output(&args.output, args.sync, |out| {
        len = conversion.write_pdf(&opts, out)?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", args.output.display()))?;
    let copied = conversion.pages.iter().filter(|p| p.copied).count();
    println!(
        "{}: {} page(s), {} bytes ({} page(s) G4 copied, {} re-encoded{})",
        args.output.display(),
        conversion.pages.len(),
        len,
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

/// Replaces `path` atomically with what `write` writes (to a temporary file, buffered, then
/// renamed over it); synced to disk (file and directory) only when `sync` is set.
pub(crate) fn write_output(
    path: &Path,
    sync: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
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
    let result = (|| {
        let mut out = BufWriter::with_capacity(64 << 10, fs::File::create(&tmp)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        if sync {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&tmp, path)?;
        if sync {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
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
        let code = run(&args).expect("converts");
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
        let err = run(&args).unwrap_err();
        assert!(format!("{err:#}").contains("not a TIFF file"), "{err:#}");
        assert!(!output.exists());

        let args = Args {
            input: dir.path().join("missing.tif"),
            output: output.clone(),
            verify: false,
            sync: false,
        };
        let err = run(&args).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");

        fs::write(&input, sample_tiff()).expect("write");
        let args = Args {
            input,
            output: dir.path().join("no-such-dir").join("out.pdf"),
            verify: false,
            sync: true,
        };
        let err = run(&args).unwrap_err();
        assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    }
}
