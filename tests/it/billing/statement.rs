//! `faxvox billing statement ID --month YYYY-MM`: the monthly statement of communications on a
//! real database (SQLite, and PostgreSQL when `TEST_POSTGRES_URL` is set). Reservations are
//! made and settled through the Billing API, the matching outbound call records carry their
//! cost as the dialer writes them, and the statement printed by the real binary is parsed
//! back: one row per record of the month, and a total equal to the period's charges to the
//! unit (issue 5: "the statement's total equals the sum of the charges").

use crate::on_both;
use crate::support::billing_db;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use billing_db::{at, money};
use faxvox::billing::rates::parse_rates_csv;
use faxvox::billing::statement::Statement;
use faxvox::billing::{Billing, Money};
use faxvox::directory::records::{CallKind, CallStatus, Direction, NewCallRecord};
use faxvox::directory::Directory;

const DECK: &str = "prefix,country,price_per_page,valid_from\n\
    39,Italy,0.05,2026-01-01\n\
    33,France,0.0125,2026-01-01\n";

fn faxvox(cwd: &Path, db: &str, args: &[&str]) -> Output {
    let config = cwd.join("empty.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faxvox"));
    cmd.current_dir(cwd).env_remove("RUST_LOG").args(args);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("FAXVOX_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("FAXVOX_CONFIG", &config)
        .env("FAXVOX_DATABASE_URL", db)
        .env("FAXVOX_LOG_LEVEL", "warn");
    cmd.output().unwrap()
}

fn ok(cwd: &Path, db: &str, args: &[&str]) -> Vec<u8> {
    let o = faxvox(cwd, db, args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn fails(cwd: &Path, db: &str, args: &[&str], needle: &str) {
    let o = faxvox(cwd, db, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
    assert!(err.contains(needle), "{args:?}: `{needle}` not in: {err}");
}

/// RFC 4180 fields of one line (quotes doubled inside quoted fields).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// Header and rows of the statement CSV, as maps column -> value.
fn parse_csv(text: &str) -> (Vec<String>, Vec<std::collections::BTreeMap<String, String>>) {
    let mut lines = text.lines();
    let header = csv_fields(lines.next().expect("header row"));
    let rows = lines
        .map(|l| {
            let f = csv_fields(l);
            assert_eq!(f.len(), header.len(), "row `{l}`");
            header.iter().cloned().zip(f).collect()
        })
        .collect();
    (header, rows)
}

/// Reserves `pages` pages to `to` for `fax` at `when`, then settles `confirmed` (released
/// when 0); returns the charge.
async fn fax(
    billing: &Billing,
    account: &str,
    fax: &str,
    to: &str,
    pages: u32,
    confirmed: u32,
    when: &str,
) -> Money {
    let t = at(when);
    let quote = billing.quote(account, to, pages, t).await.unwrap();
    let r = billing.reserve(account, fax, &quote, t).await.unwrap();
    if confirmed == 0 {
        billing.release(&r.id).await.unwrap();
        Money::ZERO
    } else {
        billing
            .settle(&r.id, confirmed, t + Duration::from_secs(120))
            .await
            .unwrap()
    }
}

/// An outbound attempt as the dialer records it.
#[allow(clippy::too_many_arguments)]
async fn outbound(
    dir: &Directory,
    account: &str,
    fax_id: &str,
    to: &str,
    start: &str,
    pages: u32,
    status: CallStatus,
    cost: Money,
) -> String {
    let mut r = NewCallRecord::new(
        format!("{:016x}@faxvox-out", rand_id(start, fax_id)),
        to,
        CallKind::Fax,
        status,
        at(start),
    );
    r.direction = Direction::Out;
    r.account = Some(account.into());
    r.line = Some("+33253437555".into());
    r.caller = "+33253437555".into();
    if pages > 0 {
        r.answered = Some(at(start) + Duration::from_secs(2));
        r.duration = Duration::from_millis(30_400 * u64::from(pages));
    }
    r.pages = Some(pages);
    r.sip_status = Some(if pages > 0 { 200 } else { 486 });
    r.reason = Some("test, with a comma and \"quotes\"".into());
    r.job_id = Some(fax_id.into());
    r.cost = Some(cost);
    dir.add_call_record(&r).await.unwrap().id
}

async fn inbound(
    dir: &Directory,
    account: &str,
    start: &str,
    kind: CallKind,
    pages: Option<u32>,
) -> String {
    let mut r = NewCallRecord::new(
        format!("{:016x}@pc33.example", rand_id(start, account)),
        "0253437555",
        kind,
        CallStatus::Ok,
        at(start),
    );
    r.account = Some(account.into());
    r.line = Some("+33253437555".into());
    r.caller = "+33612345678".into();
    r.answered = Some(at(start));
    r.duration = Duration::from_millis(45_600);
    r.pages = pages;
    dir.add_call_record(&r).await.unwrap().id
}

fn rand_id(a: &str, b: &str) -> u64 {
    a.bytes()
        .chain(b.bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
            (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3)
        })
}

fn sum_of_charges(charges: &[faxvox::billing::ReservationRecord]) -> Money {
    charges
        .iter()
        .fold(Money::ZERO, |s, c| s.checked_add(c.charged).unwrap())
}

async fn statement(url: &str) {
    let (dir, billing) = billing_db::open(url, &["acme", "other"]).await;
    billing
        .import_rates(&parse_rates_csv(DECK).unwrap(), at("2026-01-01T00:00:00Z"))
        .await
        .unwrap();
    let italy = "+390612345678";
    let france = "+33144556677";
    let mut november = BTreeSet::new();

    // Italy, 3 pages sent in one call: 0.15.
    let c1 = fax(&billing, "acme", "f1", italy, 3, 3, "2026-11-03T09:00:00Z").await;
    assert_eq!(c1, money("0.15"));
    november.insert(
        outbound(
            &dir,
            "acme",
            "f1",
            italy,
            "2026-11-03T09:00:05Z",
            3,
            CallStatus::Ok,
            c1,
        )
        .await,
    );

    // France at 0.0125, 5 pages reserved, busy then 3 pages confirmed: 0.0375.
    let c2 = fax(&billing, "acme", "f2", france, 5, 3, "2026-11-10T14:00:00Z").await;
    assert_eq!(c2, money("0.0375"));
    november.insert(
        outbound(
            &dir,
            "acme",
            "f2",
            france,
            "2026-11-10T14:00:01Z",
            0,
            CallStatus::Failed,
            Money::ZERO,
        )
        .await,
    );
    november.insert(
        outbound(
            &dir,
            "acme",
            "f2",
            france,
            "2026-11-10T14:05:01Z",
            3,
            CallStatus::Partial,
            c2,
        )
        .await,
    );

    // Italy, never answered: released, nothing charged.
    let c3 = fax(&billing, "acme", "f3", italy, 2, 0, "2026-11-12T08:00:00Z").await;
    november.insert(
        outbound(
            &dir,
            "acme",
            "f3",
            italy,
            "2026-11-12T08:00:01Z",
            0,
            CallStatus::Failed,
            c3,
        )
        .await,
    );

    // France, 2 pages: 0.025.
    let c4 = fax(&billing, "acme", "f4", france, 2, 2, "2026-11-20T16:30:00Z").await;
    assert_eq!(c4, money("0.025"));
    november.insert(
        outbound(
            &dir,
            "acme",
            "f4",
            france,
            "2026-11-20T16:30:02Z",
            2,
            CallStatus::Ok,
            c4,
        )
        .await,
    );

    // Inbound calls of the month; the last one is already December in Paris, still November
    // in UTC (the billing period).
    november.insert(inbound(&dir, "acme", "2026-11-01T00:00:00Z", CallKind::Fax, Some(4)).await);
    november.insert(
        inbound(
            &dir,
            "acme",
            "2026-11-15T10:00:00Z",
            CallKind::Voicemail,
            None,
        )
        .await,
    );
    let late = inbound(&dir, "acme", "2026-11-30T23:30:00Z", CallKind::Missed, None).await;
    november.insert(late.clone());

    // Not November: October (charged then), December, and another account's calls.
    let c_oct = fax(&billing, "acme", "f0", italy, 1, 1, "2026-10-20T12:00:00Z").await;
    outbound(
        &dir,
        "acme",
        "f0",
        italy,
        "2026-10-20T12:00:01Z",
        1,
        CallStatus::Ok,
        c_oct,
    )
    .await;
    inbound(&dir, "acme", "2026-10-31T23:30:00Z", CallKind::Fax, Some(1)).await;
    inbound(&dir, "acme", "2026-12-01T00:00:00Z", CallKind::Fax, Some(2)).await;
    let c_other = fax(&billing, "other", "g1", italy, 4, 4, "2026-11-05T12:00:00Z").await;
    outbound(
        &dir,
        "other",
        "g1",
        italy,
        "2026-11-05T12:00:01Z",
        4,
        CallStatus::Ok,
        c_other,
    )
    .await;
    inbound(
        &dir,
        "other",
        "2026-11-05T13:00:00Z",
        CallKind::Fax,
        Some(1),
    )
    .await;

    let charges = sum_of_charges(&billing.charges("acme", "2026-11").await.unwrap());
    assert_eq!(charges, money("0.2125"));

    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let csv = String::from_utf8(ok(
        cwd,
        url,
        &["billing", "statement", "acme", "--month", "2026-11"],
    ))
    .unwrap();
    let (header, rows) = parse_csv(&csv);
    assert_eq!(header.join(","), Statement::CSV_HEADER);
    assert!(header.iter().any(|h| h == "cost"));
    let (total, records): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r["direction"] == "total");
    assert_eq!(total.len(), 1, "{csv}");
    assert_eq!(rows.last().unwrap()["direction"], "total", "total row last");
    let ids: BTreeSet<String> = records.iter().map(|r| r["record"].clone()).collect();
    assert_eq!(ids, november, "one row per record of the month:\n{csv}");
    assert_eq!(records.len(), november.len(), "{csv}");
    assert!(records
        .iter()
        .all(|r| r["direction"] == "in" || r["direction"] == "out"));

    // Costs: exact, on outbound rows only; their sum = the total row = the ledger's charges.
    let mut sum = Money::ZERO;
    for r in &records {
        match r["direction"].as_str() {
            "in" => assert_eq!(r["cost"], "", "{r:?}"),
            _ => sum = sum.checked_add(Money::parse(&r["cost"]).unwrap()).unwrap(),
        }
    }
    let total = total[0];
    assert_eq!(Money::parse(&total["cost"]).unwrap().units(), sum.units());
    assert_eq!(sum.units(), charges.units());
    assert_eq!(total["cost"], "0.2125");
    assert_eq!(total["pages"], "8");
    assert_eq!(
        total["result"],
        format!("{} communications", november.len())
    );
    let f2 = records
        .iter()
        .find(|r| r["cost"] == "0.0375")
        .expect("f2 row");
    assert_eq!(
        (f2["pages"].as_str(), f2["result"].as_str()),
        ("3", "partial")
    );
    // Times in the account's zone (Europe/Paris).
    let late_row = records.iter().find(|r| r["record"] == late).unwrap();
    assert_eq!(late_row["time"], "2026-12-01 00:30:00");
    let first = records
        .iter()
        .find(|r| r["pages"] == "4" && r["direction"] == "in")
        .unwrap();
    assert_eq!(first["time"], "2026-11-01 01:00:00");
    assert_eq!(first["duration_s"], "46");

    // A fax submitted on the last minute of November and dialled in December: the charge
    // counts in November, its call in December; each statement still adds up to its charges.
    let c5 = fax(&billing, "acme", "f5", italy, 2, 2, "2026-11-30T23:59:00Z").await;
    let dec_call = outbound(
        &dir,
        "acme",
        "f5",
        italy,
        "2026-12-01T00:01:00Z",
        2,
        CallStatus::Ok,
        c5,
    )
    .await;
    for (month, expected) in [("2026-11", money("0.3125")), ("2026-12", Money::ZERO)] {
        let st = Statement::build(&dir, &billing, "acme", month)
            .await
            .unwrap();
        let charges = sum_of_charges(&billing.charges("acme", month).await.unwrap());
        assert_eq!(charges, expected, "{month}");
        assert_eq!(st.total, charges, "{month}: {st:?}");
        let adjustments: Vec<_> = st.lines.iter().filter(|l| l.record.is_none()).collect();
        assert_eq!(adjustments.len(), 1, "{month}: {st:?}");
        let lines_sum = st
            .lines
            .iter()
            .filter_map(|l| l.cost)
            .fold(Money::ZERO, |s, c| s.checked_add(c).unwrap());
        assert_eq!(lines_sum, st.total);
        if month == "2026-12" {
            assert_eq!(adjustments[0].cost, Some(Money(-c5.units())));
            assert!(st
                .lines
                .iter()
                .any(|l| l.record.as_deref() == Some(dec_call.as_str())));
        } else {
            assert_eq!(adjustments[0].cost, Some(c5));
            assert_eq!(st.count, november.len());
        }
    }
    // Its CSV still parses and adds up.
    let csv = String::from_utf8(ok(
        cwd,
        url,
        &[
            "billing",
            "statement",
            "acme",
            "--month",
            "2026-11",
            "--format",
            "csv",
        ],
    ))
    .unwrap();
    let (_, rows) = parse_csv(&csv);
    let mut sum = Money::ZERO;
    for r in rows
        .iter()
        .filter(|r| r["direction"] != "total" && !r["cost"].is_empty())
    {
        sum = sum.checked_add(Money::parse(&r["cost"]).unwrap()).unwrap();
    }
    assert_eq!(sum, money("0.3125"));
    assert_eq!(rows.last().unwrap()["cost"], "0.3125");

    // PDF: a valid file holding the total.
    let pdf = cwd.join("statement.pdf");
    let said = String::from_utf8(ok(
        cwd,
        url,
        &[
            "billing",
            "statement",
            "acme",
            "--month",
            "2026-11",
            "--format",
            "pdf",
            "--output",
            pdf.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert!(said.contains("total 0.3125 €"), "{said}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    check_pdf(&pdf, "total cost 0.3125");

    // A long month: several pages.
    for i in 0..150 {
        inbound(
            &dir,
            "other",
            &format!("2026-11-06T{:02}:{:02}:00Z", i / 60, i % 60),
            CallKind::Voicemail,
            None,
        )
        .await;
    }
    let long = cwd.join("long.pdf");
    ok(
        cwd,
        url,
        &[
            "billing",
            "statement",
            "other",
            "--month",
            "2026-11",
            "--format",
            "pdf",
            "--output",
            long.to_str().unwrap(),
        ],
    );
    let pages = check_pdf(&long, "total cost 0.20");
    assert!(
        pages.is_none_or(|n| n >= 3),
        "{pages:?} pages for 152 lines"
    );

    // Refusals.
    fails(
        cwd,
        url,
        &["billing", "statement", "nobody", "--month", "2026-11"],
        "unknown account `nobody`",
    );
    for bad in ["2026-13", "2026-1", "november", "2026-11-01"] {
        fails(
            cwd,
            url,
            &["billing", "statement", "acme", "--month", bad],
            "invalid month",
        );
    }

    dir.close().await;
}

/// `qpdf --check`, then the text (uncompressed by qpdf) must contain `needle`; returns the
/// page count. Without qpdf only the PDF framing is checked.
fn check_pdf(path: &Path, needle: &str) -> Option<usize> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    assert!(tail.windows(5).any(|w| w == b"%%EOF"), "no %%EOF");
    let Ok(check) = Command::new("qpdf").arg("--check").arg(path).output() else {
        eprintln!("qpdf not installed: PDF content not checked");
        return None;
    };
    assert!(
        check.status.success(),
        "qpdf --check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let plain = path.with_extension("qdf.pdf");
    let out = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(path)
        .arg(&plain)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&plain).unwrap();
    assert!(
        text.windows(needle.len()).any(|w| w == needle.as_bytes()),
        "`{needle}` not in the PDF"
    );
    let n = Command::new("qpdf")
        .arg("--show-npages")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&n.stdout).trim().parse().ok()
}

on_both!(statement, statement_sqlite, statement_postgres);
