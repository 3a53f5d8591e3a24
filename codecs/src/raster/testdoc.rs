//! PDF documents built in code with printpdf, for tests and the committed samples
//! (`cargo run -p faxvox-codecs --example make_samples`). Not part of the stable API.
//!
//! Text uses the built-in (non-embedded) base-14 fonts, which is what many small PDF producers
//! emit and what the rasteriser must cope with. Positions are given in millimetres from the
//! top-left corner of the page, the way one measures on paper.

use printpdf::{
    BuiltinFont, Color, Greyscale, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, TextItem,
};

/// A4 width and height in millimetres.
pub const A4_MM: (f32, f32) = (210.0, 297.0);

/// A rectangle in millimetres from the page's top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MmRect {
    pub x: f32,
    pub top: f32,
    pub w: f32,
    pub h: f32,
}

/// The solid black rectangle of [`test_page`].
pub const TEST_BLACK: MmRect = MmRect {
    x: 30.0,
    top: 40.0,
    w: 50.0,
    h: 30.0,
};
/// The 50 % grey rectangle of [`test_page`].
pub const TEST_GREY: MmRect = MmRect {
    x: 110.0,
    top: 40.0,
    w: 60.0,
    h: 30.0,
};
/// The area holding the text lines of [`test_page`].
pub const TEST_TEXT: MmRect = MmRect {
    x: 25.0,
    top: 95.0,
    w: 160.0,
    h: 40.0,
};

/// Builds content streams for one page in millimetres from the top-left.
pub struct PageBuilder {
    w_mm: f32,
    h_mm: f32,
    ops: Vec<Op>,
}

impl PageBuilder {
    pub fn new(w_mm: f32, h_mm: f32) -> Self {
        PageBuilder {
            w_mm,
            h_mm,
            ops: Vec::new(),
        }
    }

    fn y(&self, top_mm: f32) -> Mm {
        Mm(self.h_mm - top_mm)
    }

    /// One line of text with its baseline `baseline_mm` below the top edge.
    pub fn text(
        &mut self,
        font: BuiltinFont,
        size_pt: f32,
        x_mm: f32,
        baseline_mm: f32,
        s: &str,
    ) -> &mut Self {
        let pos = Point::new(Mm(x_mm), self.y(baseline_mm));
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor { pos },
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size_pt),
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
            Op::EndTextSection,
        ]);
        self
    }

    /// A filled rectangle in grey level `grey` (0 = black, 1 = white).
    pub fn fill(&mut self, r: MmRect, grey: f32) -> &mut Self {
        let bottom = self.h_mm - r.top - r.h;
        let mut rect = Rect::from_xywh(
            Mm(r.x).into(),
            Mm(bottom).into(),
            Mm(r.w).into(),
            Mm(r.h).into(),
        );
        rect.mode = Some(printpdf::PaintMode::Fill);
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetFillColor {
                col: grey_colour(grey),
            },
            Op::DrawRectangle { rectangle: rect },
            Op::RestoreGraphicsState,
        ]);
        self
    }

    /// A straight black line `width_pt` thick.
    pub fn line(&mut self, x0: f32, top0: f32, x1: f32, top1: f32, width_pt: f32) -> &mut Self {
        let p = |x: f32, top: f32| LinePoint {
            p: Point::new(Mm(x), Mm(self.h_mm - top)),
            bezier: false,
        };
        let line = Line {
            points: vec![p(x0, top0), p(x1, top1)],
            is_closed: false,
        };
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor {
                col: grey_colour(0.0),
            },
            Op::SetOutlineThickness { pt: Pt(width_pt) },
            Op::DrawLine { line },
            Op::RestoreGraphicsState,
        ]);
        self
    }

    /// Sets the fill colour for following text (0 = black, 1 = white).
    pub fn text_grey(&mut self, grey: f32) -> &mut Self {
        self.ops.push(Op::SetFillColor {
            col: grey_colour(grey),
        });
        self
    }

    pub fn build(self) -> PdfPage {
        PdfPage::new(Mm(self.w_mm), Mm(self.h_mm), self.ops)
    }
}

fn grey_colour(grey: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: grey,
        icc_profile: None,
    })
}

/// Serialises pages into a PDF file.
pub fn save(title: &str, pages: Vec<PdfPage>) -> Vec<u8> {
    let mut doc = PdfDocument::new(title);
    let mut warnings = Vec::new();
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

/// One A4 page: a solid black rectangle ([`TEST_BLACK`]), a 50 % grey one ([`TEST_GREY`])
/// and four lines of 12 pt Helvetica/Times text inside [`TEST_TEXT`].
pub fn test_page(label: &str) -> PdfPage {
    let mut p = PageBuilder::new(A4_MM.0, A4_MM.1);
    p.fill(TEST_BLACK, 0.0).fill(TEST_GREY, 0.5);
    let lines = [
        "The quick brown fox jumps over the lazy dog. 0123456789",
        "Pack my box with five dozen liquor jugs. ABCDEFGHIJKLM",
        "Sphinx of black quartz, judge my vow. NOPQRSTUVWXYZ",
        label,
    ];
    for (i, s) in lines.iter().enumerate() {
        let font = if i % 2 == 0 {
            BuiltinFont::Helvetica
        } else {
            BuiltinFont::TimesRoman
        };
        p.text(
            font,
            12.0,
            TEST_TEXT.x + 2.0,
            TEST_TEXT.top + 8.0 + 9.0 * i as f32,
            s,
        );
    }
    p.build()
}

/// A one-page PDF with [`test_page`].
pub fn test_pdf() -> Vec<u8> {
    save("faxvox raster test", vec![test_page("Test page 1 of 1")])
}

/// A PDF of `n` test pages.
pub fn multi_page_pdf(n: usize) -> Vec<u8> {
    let pages = (1..=n)
        .map(|i| test_page(&format!("Test page {i} of {n}")))
        .collect();
    save("faxvox raster test", pages)
}

/// One landscape A4 page (297 × 210 mm) with a black square in its top-left corner
/// (10 mm in, 40 × 40 mm) and a line of text, to check automatic rotation.
pub fn landscape_pdf() -> Vec<u8> {
    let mut p = PageBuilder::new(A4_MM.1, A4_MM.0);
    p.fill(
        MmRect {
            x: 10.0,
            top: 10.0,
            w: 40.0,
            h: 40.0,
        },
        0.0,
    );
    p.text(BuiltinFont::HelveticaBold, 24.0, 60.0, 40.0, "Landscape");
    save("faxvox landscape test", vec![p.build()])
}

/// A realistic one-page fax cover letter (A4): letterhead, a black FAX banner, a ruled
/// details table, a grey notice box, body text in Times and a footer. Used for
/// `samples/letter.pdf` and its rendering `samples/letter.tif`.
pub fn business_letter() -> Vec<u8> {
    use BuiltinFont::{Helvetica, HelveticaBold, TimesBold, TimesItalic, TimesRoman};
    let mut p = PageBuilder::new(A4_MM.0, A4_MM.1);
    let left = 22.0;
    let right = 188.0;

    // Letterhead.
    p.text(HelveticaBold, 20.0, left, 24.0, "Northwind Dental Practice");
    p.text(
        Helvetica,
        9.0,
        left,
        30.0,
        "14 Harbour Street  ·  Portsmouth PO1 3AX  ·  Tel +44 23 9200 0147  ·  Fax +44 23 9200 0148",
    );
    p.line(left, 33.0, right, 33.0, 1.2);

    // FAX banner: white text on a black bar.
    p.fill(
        MmRect {
            x: left,
            top: 40.0,
            w: 46.0,
            h: 16.0,
        },
        0.0,
    );
    p.text_grey(1.0);
    p.text(HelveticaBold, 30.0, left + 5.0, 52.5, "FAX");
    p.text_grey(0.0);
    p.text(Helvetica, 11.0, left + 54.0, 47.0, "Facsimile transmission");
    p.text(
        Helvetica,
        9.0,
        left + 54.0,
        53.0,
        "Confidential — for the named recipient only",
    );

    // Details table: two columns, ruled.
    let rows = [
        ("To", "Dr. Amelia Hart, Oral Surgery Dept."),
        ("Fax", "+44 23 9286 6101"),
        ("From", "Northwind Dental Practice, Reception"),
        ("Date", "27 November 2026"),
        ("Pages", "1 (including this page)"),
        ("Re", "Referral: patient J. Okafor, DOB 03/02/1981"),
    ];
    let t_top = 64.0;
    let row_h = 8.0;
    let col = left + 28.0;
    let t_bottom = t_top + row_h * rows.len() as f32;
    // Shade the label column in light grey.
    p.fill(
        MmRect {
            x: left,
            top: t_top,
            w: col - left,
            h: t_bottom - t_top,
        },
        0.85,
    );
    for i in 0..=rows.len() {
        let y = t_top + row_h * i as f32;
        p.line(
            left,
            y,
            right,
            y,
            if i == 0 || i == rows.len() { 1.0 } else { 0.5 },
        );
    }
    p.line(left, t_top, left, t_bottom, 1.0);
    p.line(col, t_top, col, t_bottom, 0.5);
    p.line(right, t_top, right, t_bottom, 1.0);
    for (i, (k, v)) in rows.iter().enumerate() {
        let base = t_top + row_h * i as f32 + 5.6;
        p.text(HelveticaBold, 10.0, left + 2.5, base, k);
        p.text(Helvetica, 10.0, col + 3.0, base, v);
    }

    // Notice box in 30 % grey with black rules above and below, text in black.
    let notice = MmRect {
        x: left,
        top: t_bottom + 8.0,
        w: right - left,
        h: 14.0,
    };
    p.fill(notice, 0.7);
    p.line(notice.x, notice.top, notice.x + notice.w, notice.top, 1.0);
    p.line(
        notice.x,
        notice.top + notice.h,
        notice.x + notice.w,
        notice.top + notice.h,
        1.0,
    );
    p.text(
        HelveticaBold,
        13.0,
        notice.x + 5.0,
        notice.top + 9.2,
        "URGENT: appointment requested within 7 days",
    );

    // Body text in Times.
    let body = [
        "Dear Dr. Hart,",
        "",
        "Thank you for agreeing to see our patient, Mr. Joseph Okafor, who attended our practice",
        "on 24 November with persistent pain and swelling around the lower left third molar. The",
        "radiograph shows a mesioangular impaction with early signs of pericoronitis; we have",
        "prescribed a course of amoxicillin (500 mg, three times daily for five days) and advised",
        "warm saline rinses.",
        "",
        "Mr. Okafor has no known drug allergies and takes no regular medication. He has asked to be",
        "seen in the morning if at all possible, and can be reached on 07700 900 412. Please send",
        "your report and any treatment plan to this fax number or to our secure mailbox.",
        "",
        "Should this fax reach you in error, please telephone us and destroy all copies.",
    ];
    let mut base = notice.top + notice.h + 12.0;
    for line in body {
        if !line.is_empty() {
            p.text(TimesRoman, 11.5, left, base, line);
        }
        base += 5.6;
    }
    base += 6.0;
    p.text(TimesRoman, 11.5, left, base, "Yours sincerely,");
    p.text(TimesItalic, 16.0, left, base + 14.0, "Sarah Whitfield");
    p.text(TimesBold, 11.5, left, base + 20.0, "Sarah Whitfield, BDS");
    p.text(TimesRoman, 11.5, left, base + 25.5, "Principal Dentist");

    // Footer.
    p.line(left, 272.0, right, 272.0, 0.5);
    p.text(
        Helvetica,
        7.5,
        left,
        277.0,
        "Northwind Dental Practice Ltd · Registered in England No. 09876543 · This fax was sent with faxvox.",
    );
    save("Fax to Dr. Amelia Hart", vec![p.build()])
}

/// Assembles a PDF from numbered object bodies (object `i + 1` is `objects[i]`, object 1
/// the catalog), with a correct cross-reference table. For the hostile documents below,
/// which printpdf would not write.
pub fn raw_pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
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

/// A stream object body: `dict` (without `<<` `>>`) with its `/Length`, then the data.
fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// Catalog, page tree and one A4 page drawing the XObject `/X0` (object 5); `more` are
/// objects 5, 6, …
fn one_page_drawing(more: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
           /Resources << /XObject << /X0 5 0 R >> >> /Contents 4 0 R >>"
            .to_vec(),
        stream("", b"q 500 0 0 700 40 60 cm /X0 Do Q"),
    ];
    objects.extend(more);
    raw_pdf(&objects)
}

/// A rendering bomb of a few KiB: `depth` nested Form XObjects, each drawing the next one
/// twice, the last a filled rectangle: 2^depth fills of the whole page.
pub fn nested_forms_pdf(depth: usize) -> Vec<u8> {
    let first = 5;
    let forms = (0..depth)
        .map(|i| {
            let dict = format!(
                "/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /X {} 0 R >> >>",
                first + i + 1
            );
            stream(&dict, b"/X Do /X Do")
        })
        .chain(std::iter::once(stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 1 1]",
            b"0 0 1 1 re f",
        )))
        .collect();
    one_page_drawing(forms)
}

/// A one-page PDF drawing a DCT (JPEG) image whose dictionary and JPEG header both declare
/// `width × height` pixels, with only one 8 × 8 block of data: a decoder that believes the
/// header allocates `width × height × 3` bytes.
pub fn declared_image_pdf(width: u16, height: u16) -> Vec<u8> {
    let jpeg = tiny_jpeg_declaring(width, height);
    let dict = format!(
        "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB \
         /BitsPerComponent 8 /Filter /DCTDecode"
    );
    one_page_drawing(vec![stream(&dict, &jpeg)])
}

/// An 8 × 8 grey JPEG whose frame header (SOF) is patched to say `width × height`.
pub fn tiny_jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([128, 128, 128]));
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&img)
        .expect("an 8 × 8 JPEG encodes");
    // SOF0..SOF2: FF C0/C1/C2, length (2), precision (1), height (2), width (2).
    if let Some(i) = jpeg
        .windows(2)
        .position(|w| w[0] == 0xff && (0xc0..=0xc2).contains(&w[1]))
    {
        jpeg[i + 5..i + 7].copy_from_slice(&height.to_be_bytes());
        jpeg[i + 7..i + 9].copy_from_slice(&width.to_be_bytes());
    }
    jpeg
}

/// A one-page PDF drawing an uncompressed grey `width × height` image (every pixel 0x80):
/// a legitimate image, for the limits' other side.
pub fn grey_image_pdf(width: u32, height: u32) -> Vec<u8> {
    let data = vec![0x80u8; width as usize * height as usize];
    let dict = format!(
        "/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray \
         /BitsPerComponent 8"
    );
    one_page_drawing(vec![stream(&dict, &data)])
}
