//! CCITT T.4 / T.6 coding of bilevel rows.
//!
//! Encoding is our own: a T.6 (Group 4, MMR) encoder that works directly on changing elements
//! (the colour-change positions of a row), which is what both the decoder and
//! [`Bitmap::row_changes`] produce, so no per-pixel iteration is needed. A Modified Huffman
//! (TIFF compression 2, "CCITT RLE") encoder is provided for writing test and interchange files.
//!
//! Decoding wraps the `hayro-ccitt` crate (G3 1-D, G3 2-D, G4, byte-aligned rows, EOLs) and
//! reports how many rows decoded before any error, so callers can keep partial pages.

use crate::Bitmap;

mod tables;

use tables::{MAKEUP_BLACK, MAKEUP_WHITE, TERM_BLACK, TERM_WHITE};

/// Encodes a bitmap as a CCITT T.6 (Group 4, MMR) stream, MSB-first bit order, ending with EOFB.
pub fn encode_g4(bitmap: &Bitmap) -> Vec<u8> {
    let mut enc = G4Encoder::with_capacity(bitmap.width(), bitmap.data().len() / 8 + 64);
    let mut changes = Vec::with_capacity(64);
    for y in 0..bitmap.height() {
        packed_row_changes(bitmap.row(y), bitmap.width(), &mut changes);
        enc.push_row(&changes);
    }
    enc.finish()
}

/// Writes the changing elements of a packed MSB-first row (`1` bits start "black" runs) into
/// `out`, looking at the first `width` pixels only (bits past the width are ignored).
///
/// Same result as [`Bitmap::row_changes`], but 64 pixels at a time: this is the hot loop of
/// encoding, so it finds colour changes with `leading_zeros` instead of testing each pixel.
pub fn packed_row_changes(row: &[u8], width: u32, out: &mut Vec<u32>) {
    out.clear();
    // All ones while the current colour is black: XOR-ing data with it leaves set bits exactly
    // where a pixel differs from the current colour.
    let mut colour = 0u64;
    let mut x = 0u32;
    let full_words = ((width / 64) as usize).min(row.len() / 8);
    for chunk in row[..full_words * 8].chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mut v = u64::from_be_bytes(word) ^ colour;
        let mut from = 0u32;
        loop {
            let masked = v & (u64::MAX >> from);
            if masked == 0 {
                break;
            }
            from = masked.leading_zeros();
            out.push(x + from);
            colour = !colour;
            v = !v;
        }
        x += 64;
    }
    while x < width {
        let Some(&byte) = row.get((x / 8) as usize) else {
            break;
        };
        let bits = (width - x).min(8);
        let data = if colour != 0 { !byte } else { byte };
        let mut v = data & (0xffu8 << (8 - bits));
        let mut from = 0u32;
        loop {
            let masked = v & (0xffu8 >> from) & (0xffu8 << (8 - bits));
            if masked == 0 {
                break;
            }
            from = masked.leading_zeros();
            out.push(x + from);
            colour = !colour;
            v = !v;
        }
        x += 8;
    }
}

/// Encodes a bitmap as TIFF compression 2 ("CCITT RLE"): Modified Huffman rows, each starting on
/// a byte boundary, no EOLs. Used to produce compression-2 files that libtiff cannot write.
pub fn encode_rle(bitmap: &Bitmap) -> Vec<u8> {
    let mut w = BitWriter::with_capacity(bitmap.data().len() / 4 + 16);
    let mut changes = Vec::with_capacity(64);
    let width = bitmap.width();
    for y in 0..bitmap.height() {
        bitmap.row_changes(y, &mut changes);
        let mut pos = 0u32;
        let mut white = true;
        for &c in changes.iter().chain(std::iter::once(&width)) {
            let c = c.min(width);
            put_run(&mut w, c.saturating_sub(pos), white);
            pos = pos.max(c);
            white = !white;
        }
        w.align();
    }
    w.finish()
}

/// Fills a packed MSB-first row from changing elements (the inverse of [`packed_row_changes`]):
/// black spans are written a byte at a time, with masks only at their ends. Positions past
/// `width` (or past the row's bytes) are clipped.
pub fn fill_row_from_changes(row: &mut [u8], width: u32, changes: &[u32]) {
    row.fill(0);
    let width = width.min(row.len() as u32 * 8);
    for span in changes.chunks(2) {
        let start = span[0].min(width);
        let end = span.get(1).copied().unwrap_or(width).min(width);
        if start >= end {
            continue;
        }
        let (sb, eb) = ((start / 8) as usize, ((end - 1) / 8) as usize);
        let head = 0xffu8 >> (start % 8);
        let tail = 0xffu8 << (7 - (end - 1) % 8);
        if sb == eb {
            row[sb] |= head & tail;
        } else {
            row[sb] |= head;
            row[sb + 1..eb].fill(0xff);
            row[eb] |= tail;
        }
    }
}

/// Streaming T.6 encoder fed one row of changing elements at a time.
///
/// This lets a decoder hand its rows straight to the encoder (G3 → G4 transcoding) without
/// materialising a bitmap.
pub struct G4Encoder {
    width: u32,
    reference: Vec<u32>,
    coding: Vec<u32>,
    writer: BitWriter,
}

/// Sentinel entries appended after a row's changes, so look-ups of a1, a2, b1 and b2 past the
/// last real change read `width` without bounds checks failing.
const SENTINELS: usize = 4;

impl G4Encoder {
    /// A new encoder for rows `width` pixels wide; the first reference row is all white.
    pub fn new(width: u32) -> Self {
        Self::with_capacity(width, 4096)
    }

    /// Like [`G4Encoder::new`], reserving `bytes` of output up front.
    pub fn with_capacity(width: u32, bytes: usize) -> Self {
        let mut reference = Vec::with_capacity(64);
        reference.extend_from_slice(&[width; SENTINELS]);
        G4Encoder {
            width,
            reference,
            coding: Vec::with_capacity(64),
            writer: BitWriter::with_capacity(bytes),
        }
    }

    /// Encodes one row given as changing elements: ascending x positions where the colour
    /// changes, starting from white (see [`Bitmap::row_changes`]). Positions that are not
    /// strictly ascending or not below the width are ignored.
    pub fn push_row(&mut self, changes: &[u32]) {
        let width = self.width;
        self.coding.clear();
        let mut last: Option<u32> = None;
        for &c in changes {
            if c >= width {
                break;
            }
            if last.is_some_and(|l| c <= l) {
                continue;
            }
            self.coding.push(c);
            last = Some(c);
        }
        self.coding.extend_from_slice(&[width; SENTINELS]);
        encode_row(&self.reference, &self.coding, width, &mut self.writer);
        std::mem::swap(&mut self.reference, &mut self.coding);
    }

    /// Encodes an all-white row (used to pad pages whose data ended early).
    pub fn push_white_row(&mut self) {
        self.push_row(&[]);
    }

    /// Appends EOFB and returns the stream, padded to a whole byte.
    pub fn finish(mut self) -> Vec<u8> {
        self.writer.put(0b0000_0000_0001, 12);
        self.writer.put(0b0000_0000_0001, 12);
        self.writer.finish()
    }
}

/// Encodes one row in T.6 2-D coding. `reference` and `coding` both end with `SENTINELS`
/// copies of `width`.
#[inline]
fn encode_row(reference: &[u32], coding: &[u32], width: u32, w: &mut BitWriter) {
    let width_i = width as i64;
    // a0 starts on an imaginary white pixel left of the row.
    let mut a0: i64 = -1;
    let mut white = true;
    let mut ai = 0usize;
    let mut bi = 0usize;
    while a0 < width_i {
        while (coding[ai] as i64) <= a0 {
            ai += 1;
        }
        let a1 = coding[ai];
        while (reference[bi] as i64) <= a0 {
            bi += 1;
        }
        // b1 has the colour opposite to a0: a change to black (even index) when a0 is white.
        let b1i = if bi.is_multiple_of(2) == white {
            bi
        } else {
            bi + 1
        };
        let b1 = reference[b1i];
        let b2 = reference[b1i + 1];
        if b2 < a1 {
            // Pass mode.
            w.put(0b0001, 4);
            a0 = b2 as i64;
            continue;
        }
        let d = a1 as i64 - b1 as i64;
        if (-3..=3).contains(&d) {
            let (code, len) = match d {
                0 => (0b1, 1),
                1 => (0b011, 3),
                -1 => (0b010, 3),
                2 => (0b000011, 6),
                -2 => (0b000010, 6),
                3 => (0b0000011, 7),
                _ => (0b0000010, 7),
            };
            w.put(code, len);
            a0 = a1 as i64;
            white = !white;
        } else {
            let a2 = coding[ai + 1];
            w.put(0b001, 3);
            let start = a0.max(0) as u32;
            put_run(w, a1 - start, white);
            put_run(w, a2 - a1, !white);
            a0 = a2 as i64;
        }
    }
}

/// Writes one run length as make-up code(s) plus a terminating code.
#[inline]
fn put_run(w: &mut BitWriter, mut run: u32, white: bool) {
    let (term, makeup) = if white {
        (&TERM_WHITE, &MAKEUP_WHITE)
    } else {
        (&TERM_BLACK, &MAKEUP_BLACK)
    };
    while run >= 2624 {
        let (code, len) = makeup[2560 / 64 - 1];
        w.put(code as u32, len as u32);
        run -= 2560;
    }
    if run >= 64 {
        let (code, len) = makeup[(run / 64 - 1) as usize];
        w.put(code as u32, len as u32);
        run %= 64;
    }
    let (code, len) = term[run as usize];
    w.put(code as u32, len as u32);
}

/// MSB-first bit writer with a 64-bit accumulator.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    /// Pending bits in the low end of `acc` (always < 32 between calls).
    n: u32,
}

impl BitWriter {
    fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(bytes),
            acc: 0,
            n: 0,
        }
    }

    /// Appends the low `len` bits of `code` (len <= 24).
    #[inline(always)]
    fn put(&mut self, code: u32, len: u32) {
        self.acc = (self.acc << len) | code as u64;
        self.n += len;
        if self.n >= 32 {
            self.n -= 32;
            let v = (self.acc >> self.n) as u32;
            self.out.extend_from_slice(&v.to_be_bytes());
        }
    }

    /// Pads with zero bits to the next byte boundary.
    fn align(&mut self) {
        let pad = (8 - self.n % 8) % 8;
        if pad > 0 {
            self.put(0, pad);
        }
        // Flush whole bytes so `n` is 0 after alignment.
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.align();
        self.out
    }
}

/// How a CCITT strip is coded, as TIFF describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// TIFF compression 2: Modified Huffman rows, byte-aligned, no EOLs.
    Rle,
    /// TIFF compression 3 (T.4). `two_d`: T4Options bit 0 (MR coding with tag bits).
    G3 { two_d: bool },
    /// TIFF compression 4 (T.6, MMR).
    G4,
}

/// What a decode produced: rows delivered to the sink and the error that stopped it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeStatus {
    /// Rows handed to the sink (at most the number requested).
    pub rows: u32,
    /// Why decoding stopped early or was imperfect; `None` when the data was clean.
    pub error: Option<String>,
}

struct Sink<'a, F: FnMut(&[u32])> {
    f: &'a mut F,
    rows: u32,
    max: u32,
}

impl<F: FnMut(&[u32])> hayro_ccitt::Decoder for Sink<'_, F> {
    fn push_row(&mut self, changes: &[u32]) {
        if self.rows < self.max {
            (self.f)(changes);
            self.rows += 1;
        }
    }
}

/// Decodes a CCITT stream (MSB-first bit order) of rows `width` pixels wide, calling `row`
/// with each row's changing elements, at most `rows` times.
///
/// With `strict`, any deviation from the specification (line length mismatch, missing EOL) is
/// an error; without it, damaged lines are repaired as libtiff does (short lines padded white,
/// resynchronising on the next EOL where the data has EOLs). In both modes the rows decoded
/// before an error have already been delivered.
pub fn decode(
    data: &[u8],
    width: u32,
    rows: u32,
    coding: Coding,
    strict: bool,
    mut row: impl FnMut(&[u32]),
) -> DecodeStatus {
    let (encoding, end_of_line, aligned) = match coding {
        Coding::Rle => (hayro_ccitt::EncodingMode::Group3_1D, false, true),
        Coding::G3 { two_d: false } => (hayro_ccitt::EncodingMode::Group3_1D, true, false),
        Coding::G3 { two_d: true } => (hayro_ccitt::EncodingMode::Group3_2D, true, false),
        Coding::G4 => (hayro_ccitt::EncodingMode::Group4, false, false),
    };
    if width == 0 || rows == 0 {
        return DecodeStatus {
            rows: 0,
            error: None,
        };
    }
    let settings = hayro_ccitt::DecodeSettings {
        columns: width,
        rows,
        end_of_block: !matches!(coding, Coding::Rle),
        end_of_line,
        rows_are_byte_aligned: aligned,
        encoding,
        strict,
    };
    let mut ctx = hayro_ccitt::DecoderContext::new(settings);
    let mut sink = Sink {
        f: &mut row,
        rows: 0,
        max: rows,
    };
    let result = hayro_ccitt::decode(data, &mut sink, &mut ctx);
    let error = match result {
        Err(e) => Some(e.to_string()),
        Ok(_) if sink.rows < rows => Some("unexpected end of data".to_string()),
        Ok(_) => None,
    };
    DecodeStatus {
        rows: sink.rows,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(width: u32, height: u32, seed: u64) -> Bitmap {
        let mut b = Bitmap::new(width, height);
        let mut s = seed;
        for y in 0..height {
            for x in 0..width {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (s >> 60) == 0;
                let shape = (x / 7 + y / 5) % 3 == 0 || (x > 40 && x < 60);
                if noise ^ shape {
                    b.set(x, y, true);
                }
            }
        }
        b
    }

    fn decode_to_bitmap(data: &[u8], w: u32, h: u32, coding: Coding) -> (Bitmap, DecodeStatus) {
        let mut out = Bitmap::new(w, h);
        let mut y = 0;
        let st = decode(data, w, h, coding, true, |ch| {
            out.set_row_from_changes(y, ch);
            y += 1;
        });
        (out, st)
    }

    #[test]
    fn packed_changes_match_bitmap_changes() {
        for w in [1u32, 7, 8, 9, 16, 17, 63, 64, 65, 127, 128, 129, 1001, 1728] {
            let b = pattern(w, 9, w as u64 + 1);
            let (mut a, mut c) = (Vec::new(), Vec::new());
            for y in 0..9 {
                b.row_changes(y, &mut a);
                packed_row_changes(b.row(y), w, &mut c);
                assert_eq!(a, c, "width {w} row {y}");
            }
            // Garbage past the width is ignored.
            let mut row = b.row(0).to_vec();
            if !w.is_multiple_of(8) {
                *row.last_mut().unwrap() |= 0xff >> (w % 8);
            }
            b.row_changes(0, &mut a);
            packed_row_changes(&row, w, &mut c);
            assert_eq!(a, c, "width {w} with padding garbage");
        }
        let mut c = Vec::new();
        packed_row_changes(&[0xff], 64, &mut c);
        assert_eq!(c, vec![0]);
        let mut full = Bitmap::new(200, 1);
        full.fill_rect(0, 0, 200, 1);
        packed_row_changes(full.row(0), 200, &mut c);
        assert_eq!(c, vec![0]);
    }

    #[test]
    fn fill_row_matches_bitmap() {
        for w in [1u32, 7, 8, 9, 16, 17, 100, 1001] {
            let b = pattern(w, 6, w as u64 + 7);
            let mut ch = Vec::new();
            for y in 0..6 {
                b.row_changes(y, &mut ch);
                let mut row = vec![0xa5u8; b.stride()];
                fill_row_from_changes(&mut row, w, &ch);
                assert_eq!(row, b.row(y), "width {w} row {y}");
            }
        }
        // Out-of-range and unordered positions never panic.
        let mut row = vec![0u8; 2];
        fill_row_from_changes(&mut row, 16, &[3, 1, 40, 50, 9]);
        fill_row_from_changes(&mut row, 99, &[0]);
        assert_eq!(row, vec![0xff, 0xff]);
    }

    #[test]
    fn g4_round_trip_hayro() {
        for (w, h) in [(1, 1), (7, 3), (64, 9), (1001, 37), (1728, 20), (3000, 5)] {
            let b = pattern(w, h, w as u64);
            let enc = encode_g4(&b);
            let (d, st) = decode_to_bitmap(&enc, w, h, Coding::G4);
            assert_eq!(st.error, None, "{w}x{h}");
            assert_eq!(st.rows, h);
            assert_eq!(d, b, "{w}x{h}");
        }
    }

    #[test]
    fn g4_long_runs_and_full_black() {
        let mut b = Bitmap::new(6000, 4);
        b.fill_rect(0, 1, 6000, 1);
        b.fill_rect(2700, 2, 3000, 1);
        b.set(5999, 3, true);
        let (d, st) = decode_to_bitmap(&encode_g4(&b), 6000, 4, Coding::G4);
        assert_eq!(st.error, None);
        assert_eq!(d, b);
    }

    #[test]
    fn g4_matches_fax_crate_decoder() {
        let b = pattern(1001, 50, 3);
        let enc = encode_g4(&b);
        let mut out = Bitmap::new(1001, 50);
        let mut y = 0;
        fax::decoder::decode_g4(enc.iter().copied(), 1001, Some(50), |t| {
            out.set_row_from_changes(y, t);
            y += 1;
        });
        assert_eq!(y, 50);
        assert_eq!(out, b);
    }

    #[test]
    fn rle_round_trip() {
        let b = pattern(301, 40, 9);
        let (d, st) = decode_to_bitmap(&encode_rle(&b), 301, 40, Coding::Rle);
        assert_eq!(st.error, None);
        assert_eq!(d, b);
    }

    #[test]
    fn truncated_g4_keeps_rows() {
        let b = pattern(500, 200, 5);
        let enc = encode_g4(&b);
        let cut = &enc[..enc.len() / 2];
        let (d, st) = decode_to_bitmap(cut, 500, 200, Coding::G4);
        assert!(st.error.is_some());
        assert!(st.rows > 10 && st.rows < 200, "{}", st.rows);
        for y in 0..st.rows.saturating_sub(1) {
            assert_eq!(d.row(y), b.row(y), "row {y}");
        }
    }

    #[test]
    fn unsorted_changes_are_sanitised() {
        let mut e = G4Encoder::new(10);
        e.push_row(&[5, 3, 5, 7, 12]);
        let enc = e.finish();
        let (d, _) = decode_to_bitmap(&enc, 10, 1, Coding::G4);
        let mut want = Bitmap::new(10, 1);
        want.fill_rect(5, 0, 2, 1);
        assert_eq!(d, want);
    }
}
