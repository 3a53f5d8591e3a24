//! The seed corpora of the `raster` and `greeting` fuzz targets (tests/fuzz-corpus/<target>)
//! as a regression suite: every input goes through the same call as its libFuzzer target,
//! with the same small limits, and must not panic. With FAXVOX_WRITE_FUZZ_SEEDS=1 the seeds
//! are (re)written from code first.

use std::io::Cursor;
use std::path::PathBuf;

use faxvox_codecs::greeting::{decode_greeting_with, GreetingLimits};
use faxvox_codecs::raster::{self, Paper, RasterOptions};
use faxvox_codecs::recording::{self, Mp3Quality};
use faxvox_codecs::{Bitmap, Page, Resolution};

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fuzz-corpus")
        .join(target)
}

fn write_seed(target: &str, name: &str, data: &[u8]) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), data).expect("seed");
}

fn replay(target: &str, entry: fn(&[u8])) -> usize {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in &files {
        entry(&std::fs::read(path).expect("read seed"));
    }
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files.len()
}

fn writing() -> bool {
    std::env::var_os("FAXVOX_WRITE_FUZZ_SEEDS").is_some()
}

/// What the `raster` fuzz target does with its input.
fn raster_entry(data: &[u8]) {
    let opts = RasterOptions {
        resolution: Resolution::STANDARD,
        paper: Paper::A4,
        max_pages: 2,
        max_input_pixels: 1_000_000,
        auto_rotate: true,
    };
    if let Ok(pages) = raster::rasterize(data, &opts) {
        assert!(!pages.is_empty() && pages.len() <= 2);
    }
}

/// What the `greeting` fuzz target does with its input.
fn greeting_entry(data: &[u8]) {
    let limits = GreetingLimits {
        max_bytes: 256 * 1024,
        max_duration_ms: 5_000,
    };
    if let Ok(samples) = decode_greeting_with(data, &limits) {
        assert!(samples.len() <= 8 * 5_000 + 8_000);
    }
}

/// A hand-written PDF with an uncompressed content stream (paths, text, a form XObject and an
/// inline image), so mutations land on operators rather than on deflate data.
fn handwritten_pdf() -> Vec<u8> {
    let content = "q 1 0 0 1 50 700 cm 0.5 g 0 0 200 40 re f Q\n\
                   BT /F1 18 Tf 60 650 Td (Fax seed) Tj ET\n\
                   q 2 0 0 2 100 500 cm /X1 Do Q\n\
                   q 40 0 0 40 300 300 cm BI /W 4 /H 4 /BPC 1 /CS /G ID \u{a5}Z\u{a5}Z EI Q\n\
                   1 w 10 10 m 590 830 l S\n";
    let form = "0 0 m 50 0 l 50 50 l h f";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!(
            "<< /Type /XObject /Subtype /Form /BBox [0 0 50 50] /Length {} >>\nstream\n{form}\nendstream",
            form.len() + 1
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn image(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 13) % 256) as u8]))
}

fn encode(img: &image::GrayImage, fmt: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, fmt).expect("encode");
    out.into_inner()
}

#[test]
fn raster_corpus() {
    if writing() {
        write_seed("raster", "handwritten.pdf", &handwritten_pdf());
        write_seed(
            "raster",
            "grey.png",
            &encode(&image(24, 16), image::ImageFormat::Png),
        );
        write_seed(
            "raster",
            "grey.jpg",
            &encode(&image(24, 16), image::ImageFormat::Jpeg),
        );
        let rgb =
            image::RgbImage::from_fn(16, 24, |x, y| image::Rgb([x as u8 * 9, y as u8 * 5, 200]));
        let mut png = Cursor::new(Vec::new());
        rgb.write_to(&mut png, image::ImageFormat::Png)
            .expect("png");
        write_seed("raster", "rgb-portrait.png", &png.into_inner());
        let mut bitmap = Bitmap::new(1728, 40);
        bitmap.fill_rect(100, 10, 400, 8);
        let page = Page {
            bitmap,
            resolution: Resolution::FINE,
        };
        write_seed(
            "raster",
            "fax.tif",
            &faxvox_codecs::tiff::write_g4_tiff(&[page]),
        );
    }
    eprintln!("{} inputs", replay("raster", raster_entry));
    // Every seed is a valid document, so the fuzzer starts from inputs that render.
    for name in [
        "handwritten.pdf",
        "grey.png",
        "grey.jpg",
        "rgb-portrait.png",
        "fax.tif",
    ] {
        let data = std::fs::read(corpus_dir("raster").join(name)).expect("seed");
        let opts = RasterOptions {
            resolution: Resolution::STANDARD,
            max_pages: 2,
            max_input_pixels: 1_000_000,
            ..RasterOptions::default()
        };
        assert!(raster::rasterize(&data, &opts).is_ok(), "{name}");
    }
}

#[test]
fn greeting_corpus() {
    if writing() {
        let tone: Vec<i16> = (0..1_600)
            .map(|i| ((i as f64 * 0.3).sin() * 8_000.0) as i16)
            .collect();
        write_seed(
            "greeting",
            "8k-s16.wav",
            &recording::wav_bytes(&tone[..800]),
        );
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut cur = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).expect("wav");
            for i in 0..441 {
                let v = (i as f32 * 0.05).sin() * 0.4;
                w.write_sample(v).expect("sample");
                w.write_sample(-v).expect("sample");
            }
            w.finalize().expect("wav");
        }
        write_seed("greeting", "44k-stereo-f32.wav", &cur.into_inner());
        let mp3 = recording::encode_mp3(&tone, Mp3Quality::Compact).expect("mp3");
        write_seed("greeting", "8k.mp3", &mp3);
    }
    eprintln!("{} inputs", replay("greeting", greeting_entry));
    for name in ["8k-s16.wav", "44k-stereo-f32.wav", "8k.mp3"] {
        let data = std::fs::read(corpus_dir("greeting").join(name)).expect("seed");
        let limits = GreetingLimits {
            max_bytes: 256 * 1024,
            max_duration_ms: 5_000,
        };
        assert!(decode_greeting_with(&data, &limits).is_ok(), "{name}");
    }
}
