//! The monthly statement of communications (`faxvox billing statement ID --month YYYY-MM`):
//! every call record of the account in the month, inbound and outbound, and the totals, as CSV
//! or as a plain A4 PDF.
//!
//! - **Month**: the billing period ([`super::period_of`]): a calendar month in UTC, so the
//!   statement holds exactly the calls whose start falls in `[YYYY-MM-01T00:00Z, next month)`.
//!   Times are *shown* in the account's time zone.
//! - **Costs** are the records' `cost` (outbound: the fax's charge on its final attempt, zero on
//!   the others; inbound: none), printed exactly ([`Money::to_exact_string`]: two decimals,
//!   up to four when the amount has them), never rounded, so the lines add up to the total.
//! - **Total = the charges**: the total is the sum of the lines' costs and equals, to the unit,
//!   the sum of [`Billing::charges`] of the period. The two can only differ for a fax whose
//!   calls fall in another month than its charge (submitted on the 31st at 23:59, dialled
//!   after midnight) or whose records predate the `cost` column: such a fax gets one
//!   `adjustment` line with the difference and why, rather than a total that does not match
//!   the invoice.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use faxvox_codecs::pdf_text::{local_time, text_ops};
use printpdf::{BuiltinFont, Mm, PdfDocument, PdfPage, PdfSaveOptions};
use serde::Serialize;
use thiserror::Error;

use super::{period_of, Billing, BillingError, Money};
use crate::directory::records::{CallRecord, Direction};
use crate::directory::{Directory, DirectoryError};

/// Why no statement could be made.
#[derive(Debug, Error)]
pub enum StatementError {
    #[error("invalid month `{0}`: expected YYYY-MM, e.g. 2026-11")]
    InvalidMonth(String),
    #[error(transparent)]
    Billing(#[from] BillingError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

/// One line of the statement: a call record, or an adjustment (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// The call record's id; `None` on an adjustment line.
    pub record: Option<String>,
    /// Start of the call in the account's time zone, `2026-11-27 08:49:12`.
    pub time: String,
    /// `in`, `out`, or `adjustment`.
    pub direction: String,
    /// Caller number (`anonymous` when masked on an outbound fax, empty when withheld).
    pub from: String,
    /// Called number.
    pub to: String,
    /// The account's line involved.
    pub line: String,
    /// `fax`, `voicemail`, `missed`, `rejected`, or `charge` on an adjustment.
    pub kind: String,
    /// Seconds from answer to hang-up (rounded).
    pub duration_secs: u64,
    pub pages: Option<u32>,
    /// `ok`, `partial`, `failed`; on an adjustment, why it is there.
    pub result: String,
    /// `None` for calls that are not billed.
    pub cost: Option<Money>,
}

/// The monthly statement of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub account: String,
    pub account_name: String,
    /// IANA name the times are shown in.
    pub time_zone: String,
    /// `YYYY-MM` (UTC billing period).
    pub month: String,
    /// Call records first (oldest first), then adjustment lines if any.
    pub lines: Vec<StatementLine>,
    /// Call records in the month.
    pub count: usize,
    /// Pages of outbound records (pages the far ends confirmed).
    pub pages_sent: u64,
    /// Pages of inbound fax records.
    pub pages_received: u64,
    /// Sum of the lines' costs = sum of the period's charges.
    pub total: Money,
}

/// `[start, end)` in UTC of the billing period `month` (`YYYY-MM`).
pub fn month_bounds(month: &str) -> Result<(SystemTime, SystemTime), StatementError> {
    let bad = || StatementError::InvalidMonth(month.to_string());
    let b = month.as_bytes();
    if b.len() != 7
        || b[4] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
    {
        return Err(bad());
    }
    let year: i16 = month[..4].parse().map_err(|_| bad())?;
    let mon: i8 = month[5..].parse().map_err(|_| bad())?;
    let first = jiff::civil::Date::new(year, mon, 1).map_err(|_| bad())?;
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .map_err(|_| bad())?;
    let utc = |d: jiff::civil::Date| -> Result<SystemTime, StatementError> {
        let ts = d
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|_| bad())?
            .timestamp();
        SystemTime::try_from(ts).map_err(|_| bad())
    };
    let (start, end) = (utc(first)?, utc(next)?);
    if start < SystemTime::UNIX_EPOCH || period_of(start) != month {
        return Err(bad());
    }
    Ok((start, end))
}

impl Statement {
    /// The statement of `account` for `month` (`YYYY-MM`): its call records and the period's
    /// charges, reconciled (see the module documentation).
    pub async fn build(
        directory: &Directory,
        billing: &Billing,
        account: &str,
        month: &str,
    ) -> Result<Statement, StatementError> {
        let (from, to) = month_bounds(month)?;
        let acct = directory
            .account(account)
            .await?
            .ok_or_else(|| BillingError::UnknownAccount(account.to_string()))?;
        let zone = acct.zone()?;
        let records = directory.call_records(Some(account), from, to).await?;
        let charges = billing.charges(account, month).await?;

        let mut lines = Vec::with_capacity(records.len());
        let (mut pages_sent, mut pages_received) = (0u64, 0u64);
        // Costs of the records per fax (outbound job id), to reconcile with the ledger.
        let mut by_fax: BTreeMap<String, Money> = BTreeMap::new();
        for r in &records {
            let pages = u64::from(r.pages.unwrap_or(0));
            match r.direction {
                Direction::Out => pages_sent += pages,
                Direction::In => pages_received += pages,
            }
            if let Some(cost) = r.cost {
                let key = r.job_id.clone().unwrap_or_default();
                let sum = by_fax.entry(key).or_default();
                *sum = sum.checked_add(cost).ok_or(BillingError::Overflow)?;
            }
            lines.push(record_line(r, &zone));
        }

        let mut ledger: BTreeMap<String, (Money, String)> = BTreeMap::new();
        let mut charged = Money::ZERO;
        for c in &charges {
            charged = charged
                .checked_add(c.charged)
                .ok_or(BillingError::Overflow)?;
            let entry = ledger
                .entry(c.fax_id.clone())
                .or_insert((Money::ZERO, c.created_at.clone()));
            entry.0 = entry
                .0
                .checked_add(c.charged)
                .ok_or(BillingError::Overflow)?;
        }
        let mut faxes: Vec<&String> = by_fax.keys().chain(ledger.keys()).collect();
        faxes.sort();
        faxes.dedup();
        for fax in faxes {
            let in_records = by_fax.get(fax).copied().unwrap_or_default();
            let (in_ledger, created) = match ledger.get(fax) {
                Some((m, created)) => (*m, Some(created.as_str())),
                None => (Money::ZERO, None),
            };
            let diff = in_ledger
                .checked_sub(in_records)
                .ok_or(BillingError::Overflow)?;
            if diff == Money::ZERO {
                continue;
            }
            let why = match (fax.is_empty(), created) {
                (true, _) => "call costs without a fax id: not charged".to_string(),
                (false, Some(_)) if in_records == Money::ZERO => {
                    format!("fax {fax}: charged this month, its calls are in another month")
                }
                (false, Some(_)) => {
                    format!("fax {fax}: charge differs from its calls' costs this month")
                }
                (false, None) => format!("fax {fax}: charged in another month"),
            };
            let time = created
                .and_then(faxvox_spool::parse_rfc3339)
                .map(|t| shown_time(t, &zone))
                .unwrap_or_default();
            lines.push(StatementLine {
                record: None,
                time,
                direction: "adjustment".into(),
                from: String::new(),
                to: String::new(),
                line: String::new(),
                kind: "charge".into(),
                duration_secs: 0,
                pages: None,
                result: why,
                cost: Some(diff),
            });
        }

        let mut total = Money::ZERO;
        for l in &lines {
            if let Some(c) = l.cost {
                total = total.checked_add(c).ok_or(BillingError::Overflow)?;
            }
        }
        if total != charged {
            // Unreachable by construction: the adjustments make up every difference.
            return Err(BillingError::Corrupt(format!(
                "statement of {account} for {month}: lines add up to {} €, charges to {} €",
                total.to_exact_string(),
                charged.to_exact_string()
            ))
            .into());
        }
        Ok(Statement {
            account: acct.id.clone(),
            account_name: acct.display_name().to_string(),
            time_zone: acct.time_zone.clone(),
            month: month.to_string(),
            lines,
            count: records.len(),
            pages_sent,
            pages_received,
            total,
        })
    }

    /// The CSV columns.
    pub const CSV_HEADER: &'static str =
        "record,time,direction,from,to,line,kind,duration_s,pages,result,cost";

    /// CSV (RFC 4180, CRLF-free `\n` lines): [`Statement::CSV_HEADER`], one row per line, then
    /// one `total` row (direction `total`, pages = pages sent, result = `N communications`,
    /// cost = total). Costs in € with their exact decimals (`0.15`, `0.0125`); empty when not
    /// billed.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str(Self::CSV_HEADER);
        out.push('\n');
        for l in &self.lines {
            let fields = [
                l.record.clone().unwrap_or_default(),
                l.time.clone(),
                l.direction.clone(),
                l.from.clone(),
                l.to.clone(),
                l.line.clone(),
                l.kind.clone(),
                l.duration_secs.to_string(),
                l.pages.map(|p| p.to_string()).unwrap_or_default(),
                l.result.clone(),
                l.cost.map(Money::to_exact_string).unwrap_or_default(),
            ];
            push_csv_row(&mut out, &fields);
        }
        let total = [
            String::new(),
            String::new(),
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            self.pages_sent.to_string(),
            format!("{} communications", self.count),
            self.total.to_exact_string(),
        ];
        push_csv_row(&mut out, &total);
        out
    }

    /// The line of totals, as printed at the end of the PDF. ASCII only (`EUR`), so that the
    /// PDF keeps it as literal text, searchable in the file.
    pub fn total_text(&self) -> String {
        format!(
            "Total: {} communications, {} pages sent, {} pages received, total cost {} EUR",
            self.count,
            self.pages_sent,
            self.pages_received,
            self.total.to_exact_string()
        )
    }

    /// A plain A4 PDF: a header and a fixed-width table (built-in Courier, no embedded
    /// font), as many pages as needed, the totals at the end.
    pub fn to_pdf(&self) -> Vec<u8> {
        const SIZE: f32 = 7.0;
        const LEADING_MM: f32 = 3.4;
        const TOP_MM: f32 = 15.0;
        const BOTTOM_MM: f32 = 282.0;
        const LEFT_MM: f32 = 10.0;
        let header = [
            format!(
                "Statement of communications - {} ({})",
                self.account_name, self.account
            ),
            format!(
                "Month {} (UTC billing period); times in {}; amounts in EUR excl. tax",
                self.month, self.time_zone
            ),
        ];
        let columns = table_row(&[
            "time", "dir", "from", "to", "line", "kind", "dur s", "pages", "result", "cost",
        ]);
        let mut body: Vec<String> = Vec::new();
        for l in &self.lines {
            body.push(table_row(&[
                &l.time,
                &l.direction,
                &l.from,
                &l.to,
                &l.line,
                &l.kind,
                &l.duration_secs.to_string(),
                &l.pages.map(|p| p.to_string()).unwrap_or_default(),
                &l.result,
                &l.cost.map(Money::to_exact_string).unwrap_or_default(),
            ]));
            if l.record.is_none() {
                // The adjustment's explanation, whole.
                body.push(format!("    {}", l.result));
            }
        }
        body.push(String::new());
        body.push(self.total_text());

        let per_page = (((BOTTOM_MM - TOP_MM) / LEADING_MM) as usize)
            .saturating_sub(6)
            .max(1);
        let chunks: Vec<&[String]> = body.chunks(per_page).collect();
        let n = chunks.len();
        let mut pages = Vec::with_capacity(n);
        for (i, chunk) in chunks.iter().enumerate() {
            let mut text: Vec<(BuiltinFont, String)> = header
                .iter()
                .map(|h| (BuiltinFont::CourierBold, h.clone()))
                .collect();
            text.push((BuiltinFont::Courier, format!("Page {} of {n}", i + 1)));
            text.push((BuiltinFont::Courier, String::new()));
            text.push((BuiltinFont::CourierBold, columns.clone()));
            text.extend(chunk.iter().map(|s| (BuiltinFont::Courier, s.clone())));
            let mut ops = Vec::new();
            for (row, (font, s)) in text.into_iter().enumerate() {
                if s.is_empty() {
                    continue;
                }
                let top = TOP_MM + LEADING_MM * row as f32;
                ops.extend(text_ops(font, SIZE, LEFT_MM, top, 297.0, s));
            }
            pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
        }
        let mut doc = PdfDocument::new(&format!("Statement {} {}", self.account, self.month));
        let now = printpdf::DateTime::now();
        let info = &mut doc.metadata.info;
        info.producer = "faxvox".to_string();
        info.creator = "faxvox".to_string();
        info.creation_date = now;
        info.modification_date = now;
        info.metadata_date = now;
        let mut warnings = Vec::new();
        doc.with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut warnings)
    }
}

/// Column widths of the PDF table (characters of Courier).
const WIDTHS: [usize; 10] = [19, 3, 16, 16, 16, 9, 6, 5, 14, 10];

fn table_row(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, (f, w)) in fields.iter().zip(WIDTHS).enumerate() {
        let cut: String = f.chars().take(w).collect();
        let numeric = i >= 6 && i != 8;
        if numeric {
            let _ = write!(out, "{cut:>w$} ");
        } else {
            let _ = write!(out, "{cut:<w$} ");
        }
    }
    out.trim_end().to_string()
}

fn record_line(r: &CallRecord, zone: &jiff::tz::TimeZone) -> StatementLine {
    let (from, to) = (r.caller.clone(), r.called.clone());
    StatementLine {
        record: Some(r.id.clone()),
        time: r
            .start_time()
            .map(|t| shown_time(t, zone))
            .unwrap_or_else(|| r.start.clone()),
        direction: r.direction.as_str().into(),
        from,
        to,
        line: r.line.clone().unwrap_or_default(),
        kind: r.kind.as_str().into(),
        duration_secs: r.duration_ms.saturating_add(500) / 1000,
        pages: r.pages,
        result: r.status.as_str().into(),
        cost: r.cost,
    }
}

/// `t` in `zone` as the statement's time column shows it.
fn shown_time(t: SystemTime, zone: &jiff::tz::TimeZone) -> String {
    let ts = jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    local_time(ts, zone)
}

fn push_csv_row(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let (a, b) = month_bounds("2026-11").unwrap();
        assert_eq!(
            crate::directory::records::record_time(a),
            "2026-11-01T00:00:00.000Z"
        );
        assert_eq!(
            crate::directory::records::record_time(b),
            "2026-12-01T00:00:00.000Z"
        );
        let (_, b) = month_bounds("2026-12").unwrap();
        assert_eq!(
            crate::directory::records::record_time(b),
            "2027-01-01T00:00:00.000Z"
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "",
            "2026-11-01",
            "１２３４-11",
        ] {
            assert!(month_bounds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quotes() {
        let mut s = String::new();
        push_csv_row(&mut s, &["a".into(), "b,c".into(), "say \"hi\"".into()]);
        assert_eq!(s, "a,\"b,c\",\"say \"\"hi\"\"\"\n");
    }
}
