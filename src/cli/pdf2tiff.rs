//! `faxvox pdf2tiff IN OUT.tif`: rasterises a PDF, PNG, JPEG or TIFF into the multi-page G4
//! TIFF that the fax transmitter sends, so a document can be checked before it is faxed.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use faxvox_codecs::raster::{self, RasterOptions};
use faxvox_codecs::{tiff, Resolution};

use crate::config::Config;

/// Input files larger than this are refused before reading (no fax document is this big).
const MAX_INPUT_BYTES: u64 = 256 << 20;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaxResolution {
    /// 204 × 98 dpi
    Standard,
    /// 204 × 196 dpi
    Fine,
    /// 204 × 391 dpi
    Superfine,
}

impl FaxResolution {
    fn resolution(self) -> Resolution {
        match self {
            FaxResolution::Standard => Resolution::STANDARD,
            FaxResolution::Fine => Resolution::FINE,
            FaxResolution::Superfine => Resolution::SUPERFINE,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    A4,
    Letter,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input document: PDF, PNG, JPEG or TIFF.
    pub input: PathBuf,
    /// Output multi-page G4 TIFF, 1728 pixels wide.
    pub output: PathBuf,
    #[arg(long, value_enum, default_value_t = FaxResolution::Fine)]
    pub resolution: FaxResolution,
    #[arg(long, value_enum, default_value_t = Paper::A4)]
    pub paper: Paper,
}

pub fn run(args: &Args, _config: &Config) -> anyhow::Result<ExitCode> {
    let input = &args.input;
    let meta = fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", input.display());
    }
    if meta.len() > MAX_INPUT_BYTES {
        bail!(
            "{} is {} bytes; documents over {} MiB are refused",
            input.display(),
            meta.len(),
            MAX_INPUT_BYTES >> 20
        );
    }
    let data = fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;

    let opts = RasterOptions {
        resolution: args.resolution.resolution(),
        paper: match args.paper {
            Paper::A4 => raster::Paper::A4,
            Paper::Letter => raster::Paper::Letter,
        },
        ..RasterOptions::default()
    };
    let started = Instant::now();
    let pages = raster::rasterize(&data, &opts)
        .with_context(|| format!("cannot rasterise {}", input.display()))?;
    let tif = tiff::write_g4_tiff(&pages);
    write_atomic(&args.output, &tif)
        .with_context(|| format!("cannot write {}", args.output.display()))?;

    let res = opts.resolution;
    println!(
        "{}: {} page{}, {:?} {} × {} dpi, {:?} paper, {} × {} px, {} bytes ({} ms)",
        args.output.display(),
        pages.len(),
        if pages.len() == 1 { "" } else { "s" },
        args.resolution,
        res.x_dpi,
        res.y_dpi,
        args.paper,
        raster::FAX_WIDTH,
        opts.paper.rows(res),
        tif.len(),
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `data` to `path` so that readers see either the old file or the complete new one:
/// a temporary file in the same directory, fsync, rename over the target, fsync the directory.
fn write_atomic(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable. Directories cannot be opened on every platform.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("out.tif");
        fs::write(&p, b"old").expect("seed");
        write_atomic(&p, b"new contents").expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"new contents");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn atomic_write_into_missing_dir_fails_cleanly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("nope").join("out.tif");
        assert!(write_atomic(&p, b"x").is_err());
    }
}
