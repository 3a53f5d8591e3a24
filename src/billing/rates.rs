//! The rate deck: price per page by destination prefix, dated.
//!
//! Imported from CSV (`prefix,country,price_per_page,valid_from`) all or nothing: every row is
//! checked first and any error names its line, so a half-imported deck never prices a fax.
//! Re-importing a `(prefix, valid_from)` pair replaces its price and country (a correction);
//! a new price for a prefix is a new row with a later `valid_from`, so faxes quoted before the
//! change keep their price and the history stays.

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;
use sqlx::Row;
use thiserror::Error;

use super::{Billing, BillingError, Money, Result};
use crate::directory::records::record_time;
use crate::directory::validate;

/// Expected CSV header, in this order.
pub const CSV_HEADER: [&str; 4] = ["prefix", "country", "price_per_page", "valid_from"];

/// One price of the deck.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// E.164 digits without `+` (`33`, `336`).
    pub prefix: String,
    pub country: String,
    pub price_per_page: Money,
    /// From when the price applies, RFC 3339 UTC (`2026-01-01T00:00:00.000Z`).
    pub valid_from: String,
}

/// The price of sending `pages` pages to a number, as of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// The destination, E.164 (a restricted account may only send to the operator's lines).
    pub to: String,
    /// The rate's prefix that matched (longest).
    pub prefix: String,
    pub country: String,
    pub rate_per_page: Money,
    pub pages: u32,
    /// `pages × rate_per_page`.
    pub amount: Money,
}

/// A rate deck that was not imported, with every bad line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct RateImportError {
    /// `(line number from 1, what is wrong)`.
    pub errors: Vec<(usize, String)>,
}

impl fmt::Display for RateImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate deck not imported ({} bad line", self.errors.len())?;
        if self.errors.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str("): ")?;
        for (i, (line, message)) in self.errors.iter().take(20).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "line {line}: {message}")?;
        }
        if self.errors.len() > 20 {
            write!(f, "; and {} more", self.errors.len() - 20)?;
        }
        Ok(())
    }
}

/// Splits one CSV record: commas, double-quoted fields with `""` escapes, fields trimmed.
fn split_csv(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("stray quote inside a field".into()),
            (false, ',') => {
                fields.push(if was_quoted {
                    std::mem::take(&mut field)
                } else {
                    std::mem::take(&mut field).trim().to_string()
                });
                was_quoted = false;
            }
            (false, c) if was_quoted && !c.is_whitespace() => {
                return Err("text after a closing quote".into())
            }
            (false, _) if was_quoted => {}
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(if was_quoted {
        field
    } else {
        field.trim().to_string()
    });
    Ok(fields)
}

/// A `valid_from`: a date (`2026-01-01`, midnight UTC) or an RFC 3339 time.
pub fn parse_valid_from(s: &str) -> std::result::Result<SystemTime, ValidFromError> {
    let s = s.trim();
    let ts = if let Ok(date) = s.parse::<jiff::civil::Date>() {
        date.to_zoned_datetime(jiff::tz::TimeZone::UTC)?.timestamp()
    } else {
        s.parse::<jiff::Timestamp>()
            .map_err(|_| ValidFromError::NotATime(s.to_string()))?
    };
    Ok(SystemTime::try_from(ts)?)
}

/// Why a `valid_from` of a rate cannot be read.
#[derive(Debug, Error)]
pub enum ValidFromError {
    /// Neither a date nor an RFC 3339 time.
    #[error("valid_from `{0}` is not a date (2026-01-01) or an RFC 3339 time")]
    NotATime(String),
    /// A date or time outside what the system clock can hold.
    #[error(transparent)]
    OutOfRange(#[from] jiff::Error),
}

/// Destination prefix: E.164 digits, `+` optional, 1 to 15 digits.
fn parse_prefix(s: &str) -> std::result::Result<String, String> {
    let digits = s.trim().strip_prefix('+').unwrap_or(s.trim());
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "prefix `{s}` must be 1 to 15 digits of an international number (33, +336)"
        ));
    }
    if digits.starts_with('0') {
        return Err(format!(
            "prefix `{s}` starts with 0: give the country code (33 for France)"
        ));
    }
    Ok(digits.to_string())
}

/// Parses and checks a whole CSV rate deck; every error is reported with its line.
pub fn parse_rates_csv(text: &str) -> std::result::Result<Vec<Rate>, RateImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut errors = Vec::new();
    let mut rates: Vec<(usize, Rate)> = Vec::new();
    let mut header_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let fields = match split_csv(raw) {
            Ok(f) => f,
            Err(e) => {
                errors.push((line_no, e));
                continue;
            }
        };
        if !header_seen {
            header_seen = true;
            let got: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
            if got != CSV_HEADER {
                errors.push((
                    line_no,
                    format!(
                        "header must be `{}`, found `{}`",
                        CSV_HEADER.join(","),
                        fields.join(",")
                    ),
                ));
                return Err(RateImportError { errors });
            }
            continue;
        }
        if fields.len() != 4 {
            errors.push((
                line_no,
                format!(
                    "{} fields, expected 4 ({})",
                    fields.len(),
                    CSV_HEADER.join(",")
                ),
            ));
            continue;
        }
        let mut problems = Vec::new();
        let prefix = parse_prefix(&fields[0]).map_err(|e| problems.push(e)).ok();
        let country = fields[1].trim().to_string();
        if country.is_empty() {
            problems.push("country is empty".to_string());
        }
        let price = match Money::parse(&fields[2]) {
            Ok(p) if p.is_negative() => {
                problems.push(format!("price_per_page `{}` is negative", fields[2]));
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(format!("price_per_page: {e}"));
                None
            }
        };
        let valid_from = parse_valid_from(&fields[3])
            .map_err(|e| problems.push(e.to_string()))
            .ok();
        match (prefix, price, valid_from) {
            (Some(prefix), Some(price_per_page), Some(valid_from)) if problems.is_empty() => {
                let rate = Rate {
                    prefix,
                    country,
                    price_per_page,
                    valid_from: record_time(valid_from),
                };
                if let Some((first, _)) = rates
                    .iter()
                    .find(|(_, r)| r.prefix == rate.prefix && r.valid_from == rate.valid_from)
                {
                    errors.push((
                        line_no,
                        format!(
                            "prefix {} from {} is already given on line {first}",
                            rate.prefix, rate.valid_from
                        ),
                    ));
                } else {
                    rates.push((line_no, rate));
                }
            }
            _ => errors.push((line_no, problems.join(", "))),
        }
    }
    if !header_seen {
        errors.push((
            1,
            format!("empty file: expected the header `{}`", CSV_HEADER.join(",")),
        ));
    }
    if errors.is_empty() {
        Ok(rates.into_iter().map(|(_, r)| r).collect())
    } else {
        Err(RateImportError { errors })
    }
}

fn rate_from_row(row: &sqlx::any::AnyRow) -> Result<Rate> {
    Ok(Rate {
        prefix: row.try_get("prefix")?,
        country: row.try_get("country")?,
        price_per_page: Money(row.try_get("price_per_page")?),
        valid_from: row.try_get("valid_from")?,
    })
}

impl Billing {
    /// Stores checked rates in one transaction (all or nothing); returns how many.
    pub async fn import_rates(&self, rates: &[Rate], now: SystemTime) -> Result<usize> {
        let imported_at = record_time(now);
        let mut tx = self.pool().begin().await?;
        for rate in rates {
            sqlx::query(
                "INSERT INTO rates (prefix, country, price_per_page, valid_from, imported_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (prefix, valid_from) DO UPDATE SET country = excluded.country, \
                 price_per_page = excluded.price_per_page, imported_at = excluded.imported_at",
            )
            .bind(&rate.prefix)
            .bind(&rate.country)
            .bind(rate.price_per_page.units())
            .bind(&rate.valid_from)
            .bind(&imported_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::info!(rates = rates.len(), "rate deck imported");
        Ok(rates.len())
    }

    /// The whole deck, by prefix then date.
    pub async fn rates(&self) -> Result<Vec<Rate>> {
        let rows = sqlx::query(
            "SELECT prefix, country, price_per_page, valid_from FROM rates \
             ORDER BY prefix, valid_from",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(rate_from_row).collect()
    }

    /// The price of `pages` pages to `to_e164` as of `at`: the longest prefix among the rates
    /// valid at `at` (for that prefix, the newest). `account` must exist (rates are the same
    /// for every account today).
    pub async fn quote(
        &self,
        account: &str,
        to_e164: &str,
        pages: u32,
        at: SystemTime,
    ) -> Result<Quote> {
        self.require_account(account).await?;
        let number = validate::normalize_number(to_e164)
            .map_err(|e| BillingError::InvalidNumber(to_e164.to_string(), e.to_string()))?;
        let digits = number.trim_start_matches('+');
        let candidates: Vec<&str> = (1..=digits.len()).map(|n| &digits[..n]).collect();
        let placeholders: Vec<String> = (0..candidates.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT prefix, country, price_per_page, valid_from FROM rates \
             WHERE valid_from <= $1 AND prefix IN ({}) \
             ORDER BY LENGTH(prefix) DESC, valid_from DESC LIMIT 1",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(record_time(at));
        for c in &candidates {
            query = query.bind(*c);
        }
        let row = query
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| BillingError::NoRate(number.clone()))?;
        let rate = rate_from_row(&row)?;
        let amount = rate
            .price_per_page
            .checked_mul(pages)
            .ok_or(BillingError::Overflow)?;
        Ok(Quote {
            to: number,
            prefix: rate.prefix,
            country: rate.country,
            rate_per_page: rate.price_per_page,
            pages,
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        assert_eq!(
            split_csv(r#"44, "Korea, ""South""" ,0.05,2026-01-01"#).unwrap(),
            vec!["44", "Korea, \"South\"", "0.05", "2026-01-01"]
        );
        assert!(split_csv(r#"1,"open,2"#).is_err());
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = "prefix,country,price_per_page,valid_from\n\
                    33,France,0.05,2026-01-01\n\
                    0033,France,0.05,2026-01-01\n\
                    336,France mobile,0.055555,2026-01-01\n\
                    34,Spain,0.07\n\
                    33,France,0.06,2026-01-01T00:00:00Z\n";
        let err = parse_rates_csv(text).unwrap_err();
        let lines: Vec<usize> = err.errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 4, 5, 6], "{err}");
        assert!(err.to_string().contains("line 6: prefix 33 from"), "{err}");
    }
}
