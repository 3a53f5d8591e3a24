//! The fuzz corpus (tests/fuzz-corpus/tiff) as a regression suite: every input must go through
//! the reader and the PDF conversion without panicking. With FAXVOX_WRITE_FUZZ_SEEDS=1 the
//! generated seed files are (re)written first.

mod tiff_support;

use std::path::PathBuf;

use faxvox_codecs::pdf::{self, PdfOptions};
use faxvox_codecs::tiff::{self, WriteCompression, WriteOptions};
use faxvox_codecs::Resolution;
use tiff_support::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz-corpus/tiff")
}

fn write_seeds() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let pages = vec![
        pattern_page(40, 12, Resolution::FINE, 1),
        pattern_page(17, 9, Resolution::STANDARD, 2),
    ];
    let variants = [
        ("g4.tif", WriteCompression::G4, false, false),
        ("g4-lsb-mib.tif", WriteCompression::G4, true, true),
        ("rle.tif", WriteCompression::Rle, false, false),
        ("none-mib.tif", WriteCompression::None, true, false),
    ];
    for (name, compression, min_is_black, lsb_first) in variants {
        let file = tiff::write_tiff(
            &pages,
            &WriteOptions {
                compression,
                min_is_black,
                lsb_first,
            },
        );
        std::fs::write(dir.join(name), file).expect("seed");
    }
    let src = dir.join("g4.tif");
    for (name, args) in [
        ("g3-1d.tif", &["-c", "g3"][..]),
        ("g3-2d-fill-lsb.tif", &["-c", "g3:2d:fill", "-f", "lsb2msb"]),
        ("packbits-strips.tif", &["-c", "packbits", "-r", "4"]),
        ("big-endian-g4.tif", &["-B", "-c", "g4"]),
    ] {
        run(tool("tiffcp").args(args).arg(&src).arg(dir.join(name)));
    }
}

#[test]
fn fuzz_corpus_never_panics() {
    if std::env::var_os("FAXVOX_WRITE_FUZZ_SEEDS").is_some() {
        write_seeds();
    }
    let Ok(rd) = std::fs::read_dir(corpus_dir()) else {
        eprintln!("skipped: no fuzz corpus directory");
        return;
    };
    let opts = PdfOptions {
        title: "fuzz".into(),
        creation_unix: Some(0),
    };
    let mut n = 0;
    for entry in rd.flatten() {
        let data = std::fs::read(entry.path()).expect("read");
        let read = tiff::read_pages(&data);
        let conv = pdf::tiff_to_pdf(&data, &opts);
        // Both paths agree on success or failure.
        assert_eq!(read.is_ok(), conv.is_ok(), "{}", entry.path().display());
        n += 1;
    }
    eprintln!("{n} corpus inputs ok");
}
