//! Classic TIFF parsing and bilevel page decoding.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use super::{
    ccitt, packed_row_changes, Bitmap, DecodedTiff, Page, PageCompression, PageInfo, Resolution,
    TiffError, MAX_PAGES, MAX_PAGE_PIXELS, MAX_TOTAL_PIXELS,
};

/// Reads every page of a TIFF into bitmaps (set bit = black).
///
/// Damaged pixel data is not an error: the rows that decode are kept, the rest is white and
/// `warnings` says so, naming the page. Errors are for files that are not TIFF, BigTIFF,
/// structurally unusable, or hold a page we cannot convert (colour, greyscale, JBIG, JPEG…).
pub fn read_pages(bytes: &[u8]) -> Result<DecodedTiff, TiffError> {
    let parsed = parse(bytes)?;
    let mut warnings = parsed.warnings;
    let mut pages = Vec::with_capacity(parsed.pages.len());
    let mut info = Vec::with_capacity(parsed.pages.len());
    let mut total = 0u64;
    for raw in parsed.pages {
        let px = raw.width as u64 * raw.height as u64;
        if total + px > MAX_TOTAL_PIXELS {
            warnings.push(format!(
                "page {}: this and later pages dropped: the file holds more than {} Mpx",
                raw.index,
                MAX_TOTAL_PIXELS >> 20
            ));
            break;
        }
        total += px;
        warnings.extend(raw.warnings.iter().cloned());
        let (w, h) = (raw.width, raw.height);
        let mut bitmap = Bitmap::new(w, h);
        let mut y = 0u32;
        let outcome = decode_page_rows(bytes, &raw, &mut |ch: &[u32]| {
            if y < h {
                ccitt::fill_row_from_changes(bitmap.row_mut(y), w, ch);
            }
            y += 1;
        });
        if raw.min_is_black {
            let data: Vec<u8> = bitmap.data().iter().map(|b| !b).collect();
            bitmap = Bitmap::from_packed(w, h, data).unwrap_or_else(|| Bitmap::new(w, h));
        }
        warnings.extend(outcome.warning.clone());
        info.push(PageInfo {
            width: w,
            height: h,
            resolution: raw.resolution,
            compression: raw.compression,
            rows_decoded: outcome.rows_decoded,
            clean: outcome.clean,
        });
        pages.push(Page {
            bitmap,
            resolution: raw.resolution,
        });
    }
    Ok(DecodedTiff {
        pages,
        info,
        warnings,
    })
}

/// One page as described by its IFD, before decoding.
#[derive(Clone, Debug)]
pub(crate) struct RawPage {
    /// 1-based page number, used in messages.
    pub index: usize,
    pub width: u32,
    pub height: u32,
    pub compression: PageCompression,
    /// FillOrder 2: bits of each data byte are stored LSB first.
    pub lsb_first: bool,
    /// Photometric 1: a set bit (or CCITT "black" run) is displayed white.
    pub min_is_black: bool,
    pub rows_per_strip: u32,
    /// Byte ranges of the strips, already clipped to the file.
    pub strips: Vec<Range<usize>>,
    /// Whether any strip length had to be guessed (data may run past the real end).
    pub lengths_guessed: bool,
    pub resolution: Resolution,
    /// Problems found while parsing the IFD, each starting with "page N: ".
    pub warnings: Vec<String>,
}

impl RawPage {
    /// Number of strips the page's rows need.
    pub fn strips_needed(&self) -> u32 {
        self.height.div_ceil(self.rows_per_strip.max(1))
    }

    /// Bytes of strip `i`, bit-reversed when the file is LSB-first so decoders see MSB-first.
    pub fn strip_data<'a>(&self, bytes: &'a [u8], i: usize) -> Cow<'a, [u8]> {
        let data = self
            .strips
            .get(i)
            .and_then(|r| bytes.get(r.clone()))
            .unwrap_or(&[]);
        if self.lsb_first {
            Cow::Owned(data.iter().map(|b| b.reverse_bits()).collect())
        } else {
            Cow::Borrowed(data)
        }
    }
}

/// A parsed file: the pages and file-level warnings.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub pages: Vec<RawPage>,
    pub warnings: Vec<String>,
}

/// What decoding one page gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageOutcome {
    /// Rows decoded from data (the others were padded white).
    pub rows_decoded: u32,
    /// No error, no repair.
    pub clean: bool,
    /// The warning for this page, if the data was damaged.
    pub warning: Option<String>,
}

/// Decodes a page and calls `on_row` exactly `height` times with each row's changing elements
/// in file space (a change "to black" starts a run of `1` bits, which is white on
/// min-is-black pages). Missing or undecodable rows are delivered as white rows.
pub(crate) fn decode_page_rows(
    bytes: &[u8],
    raw: &RawPage,
    on_row: &mut dyn FnMut(&[u32]),
) -> PageOutcome {
    // A row displayed white: no `1` bits on min-is-white, all `1` bits on min-is-black.
    let pad: &[u32] = if raw.min_is_black { &[0] } else { &[] };
    let mut delivered = 0u32;
    let mut decoded = 0u32;
    let mut error: Option<String> = None;
    let mut repaired: Option<String> = None;
    let rps = raw.rows_per_strip.max(1);
    for s in 0..raw.strips_needed() as usize {
        let rows = rps.min(raw.height - delivered);
        let (got, err, rep) = if s < raw.strips.len() {
            let data = raw.strip_data(bytes, s);
            decode_strip(&data, raw, rows, on_row)
        } else {
            (0, Some("no data for these rows".to_string()), None)
        };
        let got = got.min(rows);
        for _ in got..rows {
            on_row(pad);
        }
        delivered += rows;
        decoded += got;
        if error.is_none() {
            error = err;
        }
        if repaired.is_none() {
            repaired = rep;
        }
    }
    let warning = match (&error, &repaired) {
        (Some(e), _) => Some(format!(
            "page {}: decoded {} of {} rows: {}",
            raw.index, decoded, raw.height, e
        )),
        (None, Some(r)) => Some(format!(
            "page {}: damaged rows repaired ({}); all {} rows decoded",
            raw.index, r, raw.height
        )),
        (None, None) => None,
    };
    PageOutcome {
        rows_decoded: decoded,
        clean: warning.is_none(),
        warning,
    }
}

/// Decodes one strip of `rows` rows. Returns (rows delivered, error, repaired-error).
fn decode_strip(
    data: &[u8],
    raw: &RawPage,
    rows: u32,
    on_row: &mut dyn FnMut(&[u32]),
) -> (u32, Option<String>, Option<String>) {
    let width = raw.width;
    if let Some(coding) = raw.compression.coding() {
        let strict = ccitt::decode(data, width, rows, coding, true, |ch| on_row(ch));
        let Some(strict_err) = strict.error else {
            return (strict.rows, None, None);
        };
        // Decode again leniently (libtiff-like repairs) and deliver only the rows after those
        // the strict pass already gave.
        let already = strict.rows;
        let mut k = 0u32;
        let lenient = ccitt::decode(data, width, rows, coding, false, |ch| {
            if k >= already {
                on_row(ch);
            }
            k += 1;
        });
        let got = lenient.rows.max(already);
        if got >= rows {
            (got, None, Some(strict_err))
        } else {
            (got, Some(lenient.error.unwrap_or(strict_err)), None)
        }
    } else {
        let stride = (width as usize).div_ceil(8);
        let (packed, unpack_err): (Cow<[u8]>, Option<String>) = match raw.compression {
            PageCompression::PackBits => {
                let (v, e) = unpack_bits(data, stride * rows as usize);
                (Cow::Owned(v), e)
            }
            _ => (Cow::Borrowed(data), None),
        };
        let mut changes = Vec::with_capacity(64);
        let mut got = 0u32;
        for row in packed.chunks_exact(stride).take(rows as usize) {
            packed_row_changes(row, width, &mut changes);
            on_row(&changes);
            got += 1;
        }
        let err = if got < rows {
            Some(unpack_err.unwrap_or_else(|| "unexpected end of data".to_string()))
        } else {
            None
        };
        (got, err, None)
    }
}

/// PackBits decoding, stopping at `limit` bytes of output.
fn unpack_bits(src: &[u8], limit: usize) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::with_capacity(limit.min(src.len().saturating_mul(4)).min(1 << 24));
    let mut i = 0usize;
    while out.len() < limit {
        let Some(&n) = src.get(i) else {
            return (out, Some("unexpected end of PackBits data".into()));
        };
        i += 1;
        let n = n as i8;
        if n >= 0 {
            let len = n as usize + 1;
            let Some(lit) = src.get(i..i + len) else {
                let rest = src.get(i..).unwrap_or(&[]);
                let take = rest.len().min(limit - out.len());
                out.extend_from_slice(&rest[..take]);
                return (out, Some("truncated PackBits literal".into()));
            };
            let take = len.min(limit - out.len());
            out.extend_from_slice(&lit[..take]);
            i += len;
        } else if n != -128 {
            let Some(&b) = src.get(i) else {
                return (out, Some("truncated PackBits run".into()));
            };
            i += 1;
            let len = (1 - n as isize) as usize;
            let take = len.min(limit - out.len());
            out.resize(out.len() + take, b);
        }
    }
    (out, None)
}

// ----------------------------------------------------------------------------------------------
// IFD parsing

struct Reader<'a> {
    data: &'a [u8],
    le: bool,
}

impl Reader<'_> {
    fn u16(&self, off: usize) -> Option<u16> {
        let b = self.data.get(off..off.checked_add(2)?)?;
        let a = [b[0], b[1]];
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(&self, off: usize) -> Option<u32> {
        let b = self.data.get(off..off.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn u64(&self, off: usize) -> Option<u64> {
        let b = self.data.get(off..off.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(if self.le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    /// Absolute offset of the value bytes (inline or pointed to), validated in range.
    at: usize,
}

fn type_size(typ: u16) -> Option<usize> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

struct Ifd {
    entries: Vec<Entry>,
}

impl Ifd {
    fn get(&self, tag: u16) -> Option<Entry> {
        self.entries.iter().find(|e| e.tag == tag).copied()
    }
}

/// Reads the IFD at `off`: its entries (those with a usable type and in-range values) and the
/// offset of the next IFD.
fn read_ifd(r: &Reader<'_>, off: usize) -> Result<(Ifd, u32), String> {
    let n = r
        .u16(off)
        .ok_or_else(|| format!("IFD offset {off} is past the end of the file"))?
        as usize;
    let end = off + 2 + n * 12;
    if end > r.data.len() {
        return Err(format!("IFD at offset {off} runs past the end of the file"));
    }
    let mut entries = Vec::with_capacity(n.min(64));
    for i in 0..n {
        let e = off + 2 + i * 12;
        let (Some(tag), Some(typ), Some(count)) = (r.u16(e), r.u16(e + 2), r.u32(e + 4)) else {
            break;
        };
        let Some(size) = type_size(typ) else {
            continue;
        };
        let len = size as u64 * count as u64;
        let at = if len <= 4 {
            e + 8
        } else {
            match r.u32(e + 8) {
                Some(p) => p as usize,
                None => continue,
            }
        };
        if (at as u64).saturating_add(len) > r.data.len() as u64 {
            continue;
        }
        entries.push(Entry {
            tag,
            typ,
            count,
            at,
        });
    }
    // A missing next-IFD pointer (file cut right after the entries) ends the chain.
    let next = r.u32(end).unwrap_or(0);
    Ok((Ifd { entries }, next))
}

/// Integer values of an entry (BYTE, SHORT, LONG and signed variants; others give `None`),
/// at most `max` of them.
fn uints(r: &Reader<'_>, e: Entry, max: usize) -> Option<Vec<u64>> {
    let n = (e.count as usize).min(max);
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        let x = match e.typ {
            1 | 7 => *r.data.get(e.at + i)? as u64,
            6 => *r.data.get(e.at + i)? as i8 as u64,
            3 => r.u16(e.at + 2 * i)? as u64,
            8 => r.u16(e.at + 2 * i)? as i16 as u64,
            4 | 13 => r.u32(e.at + 4 * i)? as u64,
            9 => r.u32(e.at + 4 * i)? as i32 as u64,
            _ => return None,
        };
        v.push(x);
    }
    Some(v)
}

fn uint(r: &Reader<'_>, ifd: &Ifd, tag: u16) -> Option<u64> {
    let e = ifd.get(tag)?;
    if e.count == 0 {
        return None;
    }
    uints(r, e, 1)?.first().copied()
}

/// A real number from RATIONAL, SRATIONAL, FLOAT, DOUBLE or integer types.
fn real(r: &Reader<'_>, ifd: &Ifd, tag: u16) -> Option<f64> {
    let e = ifd.get(tag)?;
    if e.count == 0 {
        return None;
    }
    match e.typ {
        5 => {
            let (n, d) = (r.u32(e.at)?, r.u32(e.at + 4)?);
            (d != 0).then(|| n as f64 / d as f64)
        }
        10 => {
            let (n, d) = (r.u32(e.at)? as i32, r.u32(e.at + 4)? as i32);
            (d != 0).then(|| n as f64 / d as f64)
        }
        11 => Some(f32::from_bits(r.u32(e.at)?) as f64),
        12 => Some(f64::from_bits(r.u64(e.at)?)),
        _ => uint(r, ifd, tag).map(|v| v as f64),
    }
}

/// Parses the header and the IFD chain into page descriptions.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, TiffError> {
    if bytes.len() < 8 {
        return Err(TiffError::NotTiff);
    }
    let le = match &bytes[0..2] {
        b"II" => true,
        b"MM" => false,
        _ => return Err(TiffError::NotTiff),
    };
    let r = Reader { data: bytes, le };
    match r.u16(2) {
        Some(42) => {}
        Some(43) => return Err(TiffError::BigTiff),
        _ => return Err(TiffError::NotTiff),
    }
    let first = r.u32(4).unwrap_or(0);
    if first == 0 {
        return Err(TiffError::NoPages);
    }
    let mut warnings = Vec::new();
    let mut pages: Vec<RawPage> = Vec::new();
    let mut seen = HashSet::new();
    let mut off = first as usize;
    while off != 0 {
        if pages.len() >= MAX_PAGES {
            warnings.push(format!(
                "more than {MAX_PAGES} pages; the rest of the file is ignored"
            ));
            break;
        }
        if !seen.insert(off) {
            warnings.push(format!(
                "the page chain loops back on itself; stopped after {} pages",
                pages.len()
            ));
            break;
        }
        let (ifd, next) = match read_ifd(&r, off) {
            Ok(x) => x,
            Err(msg) if pages.is_empty() => return Err(TiffError::Malformed(msg)),
            Err(msg) => {
                warnings.push(format!("{msg}; stopped after {} pages", pages.len()));
                break;
            }
        };
        let index = pages.len() + 1;
        // NewSubfileType bit 0: a reduced-resolution copy (thumbnail), not a page.
        if uint(&r, &ifd, 254).is_some_and(|v| v & 1 == 1) {
            warnings.push(format!(
                "skipped a reduced-resolution image after page {}",
                pages.len()
            ));
        } else {
            pages.push(page_from_ifd(&r, &ifd, index)?);
        }
        off = next as usize;
    }
    if pages.is_empty() {
        return Err(TiffError::NoPages);
    }
    Ok(Parsed { pages, warnings })
}

/// Human name of a TIFF compression value, for error messages.
fn compression_name(c: u64) -> String {
    match c {
        1 => "no compression".into(),
        2 => "CCITT RLE compression".into(),
        3 => "CCITT G3 compression".into(),
        4 => "CCITT G4 compression".into(),
        5 => "LZW compression".into(),
        6 => "old-style JPEG compression".into(),
        7 => "JPEG compression".into(),
        8 | 32946 => "Deflate compression".into(),
        9 => "JBIG (T.85) compression".into(),
        10 => "JBIG (T.43) compression".into(),
        32771 => "CCITT RLE-word compression".into(),
        32773 => "PackBits compression".into(),
        34661 => "JBIG compression".into(),
        34712 => "JPEG 2000 compression".into(),
        34715 => "JBIG2 compression".into(),
        other => format!("compression scheme {other}"),
    }
}

fn photometric_name(p: u64) -> &'static str {
    match p {
        0 | 1 => "greyscale",
        2 => "colour (RGB)",
        3 => "palette colour",
        4 => "transparency mask",
        5 => "colour (CMYK)",
        6 => "colour (YCbCr)",
        8..=10 => "colour (CIE L*a*b*)",
        _ => "colour",
    }
}

fn page_from_ifd(r: &Reader<'_>, ifd: &Ifd, index: usize) -> Result<RawPage, TiffError> {
    let bad = |reason: String| TiffError::BadPage {
        page: index,
        reason,
    };
    let mut warnings = Vec::new();
    let width = uint(r, ifd, 256).ok_or_else(|| bad("ImageWidth is missing".into()))?;
    let height = uint(r, ifd, 257).ok_or_else(|| bad("ImageLength is missing".into()))?;
    let spp = uint(r, ifd, 277).unwrap_or(1);
    let bps = ifd
        .get(258)
        .and_then(|e| uints(r, e, 16))
        .map(|v| v.into_iter().max().unwrap_or(1))
        .unwrap_or(1);
    let photometric = uint(r, ifd, 262);
    let compression = uint(r, ifd, 259).unwrap_or(1);

    if spp != 1 || bps != 1 || !matches!(photometric, None | Some(0) | Some(1)) {
        let kind = photometric_name(photometric.unwrap_or(if spp >= 3 { 2 } else { 0 }));
        let comp = compression_name(compression);
        let samples = if spp == 1 {
            format!("{bps}-bit")
        } else {
            format!("{spp} samples x {bps}-bit")
        };
        return Err(TiffError::Unsupported {
            page: index,
            what: format!("{kind} image ({samples}, {comp}) is"),
        });
    }
    let compression = match compression {
        1 => PageCompression::None,
        2 => PageCompression::Rle,
        3 => {
            let opts = uint(r, ifd, 292).unwrap_or(0);
            PageCompression::G3 {
                two_d: opts & 1 == 1,
            }
        }
        4 => PageCompression::G4,
        32773 => PageCompression::PackBits,
        other => {
            return Err(TiffError::Unsupported {
                page: index,
                what: format!("{} is", compression_name(other)),
            })
        }
    };
    if ifd.get(322).is_some() || ifd.get(324).is_some() {
        return Err(TiffError::Unsupported {
            page: index,
            what: "tiled layout is".into(),
        });
    }
    if width == 0 || height == 0 {
        return Err(bad(format!("empty page ({width}x{height} pixels)")));
    }
    if width.saturating_mul(height) > MAX_PAGE_PIXELS {
        return Err(bad(format!(
            "page too large ({width}x{height} pixels, limit {} Mpx)",
            MAX_PAGE_PIXELS >> 20
        )));
    }
    let (width, height) = (width as u32, height as u32);

    let lsb_first = match uint(r, ifd, 266) {
        None | Some(1) => false,
        Some(2) => true,
        Some(v) => {
            warnings.push(format!("page {index}: unknown FillOrder {v}, assuming 1"));
            false
        }
    };
    let min_is_black = photometric == Some(1);
    let rows_per_strip = match uint(r, ifd, 278) {
        Some(v) if v > 0 => v.min(height as u64) as u32,
        _ => height,
    };
    let needed = height.div_ceil(rows_per_strip) as usize;

    // Strips: at most as many entries as the rows need. Value counts were checked against the
    // file size, so this cannot allocate more than the file holds.
    let offsets = ifd
        .get(273)
        .and_then(|e| uints(r, e, needed))
        .unwrap_or_default();
    if offsets.is_empty() {
        warnings.push(format!(
            "page {index}: no image data (StripOffsets missing)"
        ));
    }
    let counts = ifd
        .get(279)
        .and_then(|e| uints(r, e, needed))
        .unwrap_or_default();
    let file_len = r.data.len();
    let mut lengths_guessed = false;
    let mut strips = Vec::with_capacity(offsets.len());
    for (i, &o) in offsets.iter().enumerate() {
        let start = o.min(file_len as u64) as usize;
        let count = match counts.get(i) {
            Some(&c) if c > 0 => c,
            _ => {
                lengths_guessed = true;
                // Up to the next strip that starts later, else to the end of the file.
                let next = offsets
                    .iter()
                    .copied()
                    .filter(|&n| n > o)
                    .min()
                    .unwrap_or(file_len as u64);
                next.min(file_len as u64).saturating_sub(o)
            }
        };
        if o >= file_len as u64 {
            warnings.push(format!("page {index}: strip {i} lies outside the file"));
        }
        let end = (start as u64).saturating_add(count).min(file_len as u64) as usize;
        if (start as u64).saturating_add(count) > file_len as u64 && o < file_len as u64 {
            warnings.push(format!(
                "page {index}: strip {i} is truncated ({} of {count} bytes present)",
                end - start
            ));
        }
        strips.push(start..end);
    }
    if lengths_guessed {
        warnings.push(format!(
            "page {index}: StripByteCounts missing or zero; strip lengths estimated"
        ));
    }

    let resolution = resolution(r, ifd, index, width, height, &mut warnings);
    Ok(RawPage {
        index,
        width,
        height,
        compression,
        lsb_first,
        min_is_black,
        rows_per_strip,
        strips,
        lengths_guessed,
        resolution,
        warnings,
    })
}

/// Resolution in dpi from X/YResolution and ResolutionUnit, or a default with a warning.
fn resolution(
    r: &Reader<'_>,
    ifd: &Ifd,
    index: usize,
    width: u32,
    height: u32,
    warnings: &mut Vec<String>,
) -> Resolution {
    let unit = uint(r, ifd, 296).unwrap_or(2);
    let scale = if unit == 3 { 2.54 } else { 1.0 };
    let ok = |v: f64| v.is_finite() && (10.0..=20000.0).contains(&v);
    let x = real(r, ifd, 282).map(|v| v * scale);
    let y = real(r, ifd, 283).map(|v| v * scale);
    let (x, y) = match (x.filter(|&v| ok(v)), y.filter(|&v| ok(v))) {
        (Some(x), Some(y)) => (x, y),
        (Some(x), None) => {
            warnings.push(format!(
                "page {index}: no usable YResolution; using XResolution ({x:.0} dpi)"
            ));
            (x, x)
        }
        (None, Some(y)) => {
            warnings.push(format!(
                "page {index}: no usable XResolution; using YResolution ({y:.0} dpi)"
            ));
            (y, y)
        }
        (None, None) => {
            let d = default_resolution(width, height);
            let what = if x.is_some() || y.is_some() {
                "resolution out of range"
            } else {
                "no resolution in file"
            };
            warnings.push(format!(
                "page {index}: {what}; assuming {}x{} dpi",
                d.x_dpi, d.y_dpi
            ));
            return d;
        }
    };
    Resolution {
        x_dpi: x as f32,
        y_dpi: y as f32,
    }
}

/// A guess for pages without resolution: fax widths get 204 dpi and a vertical resolution that
/// makes the page about A4/Letter long; anything else 200 dpi.
fn default_resolution(width: u32, height: u32) -> Resolution {
    if (1700..=1760).contains(&width) {
        let y = if height <= 1300 {
            98.0
        } else if height <= 2700 {
            196.0
        } else {
            391.0
        };
        Resolution {
            x_dpi: 204.0,
            y_dpi: y,
        }
    } else {
        Resolution {
            x_dpi: 200.0,
            y_dpi: 200.0,
        }
    }
}
