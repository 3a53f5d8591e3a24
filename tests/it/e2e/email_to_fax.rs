//! Email-to-fax as a new user sets it up: `faxvox serve` with `[mail_in]` on 127.0.0.1, a real
//! DNS server (dnsmasq) publishing SPF, DKIM and DMARC for acme.example, `faxvox account
//! sender add acme '*@acme.example'`, a rate deck, and mail sent over real SMTP (Python's
//! smtplib) from 127.0.0.1 or 127.0.0.2:
//! - a DKIM-signed mail from alice@acme.example, sent from 127.0.0.2 (which SPF forbids: the
//!   signature carries it), with a fax-native TIFF attached, to `<bob's line>@fax.example`:
//!   250 with the fax id; faxed through the trunk (the gateway itself) to bob's fax line, the
//!   pages arriving with a header line in their top 5 mm ("page n/2") and every pixel below
//!   it as attached; acme charged pages × rate exactly; alice gets the status
//!   email quoting the subject;
//! - refused with a 5xx and nothing reserved or charged: the same mail unsigned from
//!   127.0.0.2 (spoofed), a sender on no list, a recipient at another domain (never a relay).

use crate::support;
use crate::support::fax_pages;

use std::path::Path;
use std::time::Duration;

use faxvox_codecs::Page;
use serde_json::Value;

use support::dns::{base64, DkimKey, Zone};
use support::gateway::{attachment, describe_mail, free_port, sent_to, wait_mail, Gateway};
use support::smtp::{SinkOptions, SmtpSink};

const ACME_LINE: &str = "+33100000001";
const BOB_LINE: &str = "+33299001122";
const DOMAIN: &str = "fax.example";

/// One SMTP exchange as smtplib saw it: (step, code, text) for MAIL, each RCPT and DATA.
type Exchange = Vec<(String, u16, String)>;

/// Sends `raw` over SMTP from `source` (an address of 127.0.0.0/8) saying EHLO `helo`:
/// MAIL FROM `mail_from`, RCPT TO each of `rcpts`, DATA when one was accepted.
fn smtp_send(
    dir: &Path,
    port: u16,
    source: &str,
    helo: &str,
    mail_from: &str,
    rcpts: &[&str],
    raw: &[u8],
) -> Exchange {
    let msg = dir.join(format!("mail-{}.eml", rand_suffix()));
    std::fs::write(&msg, raw).unwrap();
    const CLIENT: &str = r#"
import json, smtplib, sys
host, port, source, helo, mail_from, rcpts, path = sys.argv[1:]
raw = open(path, "rb").read()
out = []
s = smtplib.SMTP(local_hostname=helo, source_address=(source, 0), timeout=120)
s.connect(host, int(port))
s.ehlo(helo)
code, text = s.mail(mail_from)
out.append(["mail", code, text.decode()])
if code == 250:
    accepted = False
    for r in rcpts.split(","):
        code, text = s.rcpt(r)
        out.append(["rcpt", code, text.decode()])
        accepted = accepted or code == 250
    if accepted:
        try:
            code, text = s.data(raw)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
        out.append(["data", code, text.decode()])
s.quit()
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            CLIENT,
            "127.0.0.1",
            &port.to_string(),
            source,
            helo,
            mail_from,
        ])
        .arg(rcpts.join(","))
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "smtplib client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<(String, u16, String)> = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("SMTP from {source} MAIL FROM {mail_from} to {rcpts:?}: {steps:?}");
    steps
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The code and text of `step` (the last one of that name).
fn step<'a>(exchange: &'a Exchange, name: &str) -> (u16, &'a str) {
    exchange
        .iter()
        .rev()
        .find(|(s, _, _)| s == name)
        .map(|(_, c, t)| (*c, t.as_str()))
        .unwrap_or_else(|| panic!("no {name} step in {exchange:?}"))
}

/// A mail from `from` to `to` with `tiff` attached (base64), CRLF line ends.
fn mail_with_tiff(from: &str, to: &str, subject: &str, tiff: &[u8]) -> Vec<u8> {
    let encoded = base64(tiff);
    let mut body = String::new();
    for chunk in encoded.as_bytes().chunks(76) {
        body.push_str(std::str::from_utf8(chunk).unwrap());
        body.push_str("\r\n");
    }
    format!(
        "From: Alice <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{n}.invoice@acme.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=b\"\r\n\r\n\
         --=b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find the invoice.\r\n\
         --=b\r\nContent-Type: image/tiff; name=\"invoice.tif\"\r\n\
         Content-Disposition: attachment; filename=\"invoice.tif\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{body}--=b--\r\n",
        n = rand_suffix()
    )
    .into_bytes()
}

/// `faxvox serve` with the trunk on itself, `[mail_in]` on a free port of 127.0.0.1 for
/// fax.example (plus `extra` keys) asking `dns`; accounts acme (line ACME_LINE, senders
/// `*@acme.example`) and bob (fax line BOB_LINE); France at 0.05 €/page. Returns it running,
/// with its SMTP port.
fn installation(sink: &SmtpSink, dns: &support::dns::Dns, extra: &str) -> (Gateway, u16) {
    let mut gw = Gateway::new(sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{}", gw.sip_port),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    let smtp_port = free_port();
    gw.append_config(&format!(
        "\n[mail_in]\nlisten = \"127.0.0.1:{smtp_port}\"\ndomain = \"{DOMAIN}\"\ndns = \"{}\"\n{extra}",
        dns.addr
    ));
    gw.account_add("acme", &["billing@acme.example"], "ACME SARL");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ACME_LINE, "acme", "fax", None);
    gw.line_add(BOB_LINE, "bob", "fax", None);
    gw.rate_france("0.05");
    gw.ok(&["account", "sender", "add", "acme", "*@acme.example"]);
    let port = gw.sip_port;
    gw.start();
    assert_eq!(gw.sip_port, port, "the trunk points at the first port");
    assert!(
        gw.wait_log("email-to-fax (SMTP) on", Duration::from_secs(20)),
        "email-to-fax not listening:\n{}",
        gw.log()
    );
    (gw, smtp_port)
}

fn status(gw: &Gateway, account: &str) -> Value {
    serde_json::from_str(&gw.ok(&["billing", "status", account, "--json"])).unwrap()
}

fn assert_nothing_reserved_or_charged(gw: &Gateway, used: &str, what: &str) {
    let s = status(gw, "acme");
    assert_eq!(
        (s["used"].as_str(), s["reserved"].as_str()),
        (Some(used), Some("0.00")),
        "{what}: {s}"
    );
}

#[test]
fn dkim_signed_mail_is_faxed_and_spoofs_are_refused() {
    if support::peers::require("python3", "python3").is_none() {
        return;
    }
    let key = DkimKey::ed25519("acme.example", "fax2026");
    let Some(dns) = Zone::new()
        .spf("acme.example", "ip4:127.0.0.1")
        .dmarc_reject("acme.example")
        .dkim(&key)
        .start()
    else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let (mut gw, smtp_port) = installation(&sink, &dns, "");
    let dir = gw.path().to_path_buf();
    let bob = format!("{BOB_LINE}@{DOMAIN}");
    let pages: Vec<Page> = (0..2)
        .map(|i| fax_pages::test_page_top(40 + i, 500))
        .collect();
    let tiff = std::fs::read(fax_pages::write_doc(&dir, "invoice.tif", &pages)).unwrap();
    let subject = "Re: invoice 42";

    // Spoofed: no signature, from an address SPF forbids.
    let unsigned = mail_with_tiff("alice@acme.example", &bob, subject, &tiff);
    let x = smtp_send(
        &dir,
        smtp_port,
        "127.0.0.2",
        "mail.acme.example",
        "alice@acme.example",
        &[&bob],
        &unsigned,
    );
    let (code, text) = step(&x, "data");
    assert_eq!(code, 550, "{x:?}");
    assert!(
        text.starts_with("5.7.1") && text.to_lowercase().contains("spf"),
        "{text}"
    );
    assert_nothing_reserved_or_charged(&gw, "0.00", "spoofed");

    // A sender on no account's list.
    let x = smtp_send(
        &dir,
        smtp_port,
        "127.0.0.1",
        "mail.evil.example",
        "mallory@evil.example",
        &[&bob],
        &unsigned,
    );
    let (code, text) = step(&x, "mail");
    assert_eq!(code, 550, "{x:?}");
    assert!(text.contains("not on any account's sender list"), "{text}");

    // A recipient at another domain: never relayed.
    let foreign = format!("{BOB_LINE}@elsewhere.example");
    let x = smtp_send(
        &dir,
        smtp_port,
        "127.0.0.1",
        "mail.acme.example",
        "alice@acme.example",
        &[&foreign],
        &unsigned,
    );
    let (code, text) = step(&x, "rcpt");
    assert_eq!(code, 550, "{x:?}");
    assert!(text.contains("relay denied"), "{text}");
    assert!(!x.iter().any(|(s, _, _)| s == "data"), "{x:?}");
    assert_nothing_reserved_or_charged(&gw, "0.00", "refusals");

    // Signed by acme.example's key: accepted from 127.0.0.2 although SPF forbids it.
    let signed = key.sign(&mail_with_tiff("alice@acme.example", &bob, subject, &tiff));
    let x = smtp_send(
        &dir,
        smtp_port,
        "127.0.0.2",
        "mail.acme.example",
        "alice@acme.example",
        &[&bob],
        &signed,
    );
    assert_eq!(step(&x, "mail").0, 250, "{x:?}");
    assert_eq!(
        step(&x, "rcpt"),
        (250, format!("2.1.5 fax to {BOB_LINE}").as_str()),
        "{x:?}"
    );
    let (code, text) = step(&x, "data");
    if code != 250 {
        gw.print_log();
        eprintln!("dnsmasq log:\n{}", dns.log());
    }
    assert_eq!(code, 250, "{x:?}");
    assert!(text.starts_with("2.0.0 queued: fax "), "{text}");
    let fax_id = text["2.0.0 queued: fax ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // Bob's line receives it: the pages as attached, pixel for pixel.
    wait_mail(&sink, Duration::from_secs(120), |m| {
        sent_to(m, "fax@bob.example") && attachment(m, "application/pdf").is_some()
    })
    .unwrap_or_else(|| {
        gw.print_log();
        panic!("no fax email for bob:\n{}", describe_mail(&sink))
    });
    let received = {
        let tiff = std::fs::read_dir(dir.join("spool"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("fax.tiff"))
            .find(|p| p.exists())
            .expect("inbound fax job in the spool");
        fax_pages::read_doc(&tiff)
    };
    // A header line in the top 5 mm of each page, every pixel below it as attached.
    fax_pages::assert_same_below_header(&pages, &received);
    for (i, page) in received.iter().enumerate() {
        fax_pages::assert_header_page_number(page, i as u32 + 1, 2);
    }
    if let Some(out) = std::env::var_os("FAXVOX_KEEP_PAGES") {
        fax_pages::write_pgm(&received[0], Path::new(&out));
    }

    // Alice is told, the subject quoted; acme is charged pages × rate exactly.
    let report = wait_mail(&sink, Duration::from_secs(60), |m| {
        sent_to(m, "alice@acme.example")
    })
    .unwrap_or_else(|| panic!("no status email for alice:\n{}", describe_mail(&sink)));
    let status_subject = report.python_header("subject").unwrap_or_default();
    assert!(
        // The account's language (French by default): « … » there, "…" in English.
        status_subject.contains("2/2 pages")
            && (status_subject.contains("« Re: invoice 42 »")
                || status_subject.contains("\"Re: invoice 42\"")),
        "{status_subject}"
    );
    assert!(
        attachment(&report, "application/pdf").is_some(),
        "no transmission report"
    );
    assert!(
        !sink
            .messages()
            .iter()
            .any(|m| sent_to(m, "billing@acme.example")),
        "the status went to the account instead of the mail's sender"
    );
    assert_nothing_reserved_or_charged(&gw, "0.10", "after the fax");
    let job: Value = serde_json::from_slice(
        &std::fs::read(dir.join("spool").join(&fax_id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(job["state"]["name"], "delivered", "{job:#}");
    assert_eq!(job["facts"]["from"], ACME_LINE, "{job:#}");
    assert_eq!(job["facts"]["reply"]["to"], "alice@acme.example", "{job:#}");
}

/// A mail with `parts` (content type, file name, bytes) attached and `body` as its text.
fn mail_with(from: &str, to: &str, body: &str, parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut m = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: test\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=b\"\r\n\r\n\
         --=b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    for (ctype, name, bytes) in parts {
        m.push_str(&format!(
            "--=b\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n"
        ));
        for chunk in base64(bytes).as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap());
            m.push_str("\r\n");
        }
    }
    m.push_str("--=b--\r\n");
    m.into_bytes()
}

/// Every other refusal, through the running gateway (unsigned mail from 127.0.0.1, which SPF
/// allows): each a 5xx (or 4xx for the rate) with its reason, nothing reserved or charged.
#[test]
fn every_refusal_says_why_and_reserves_nothing() {
    if support::peers::require("python3", "python3").is_none() {
        return;
    }
    let other_key = DkimKey::ed25519("other.example", "s1");
    let Some(dns) = Zone::new()
        .spf("acme.example", "ip4:127.0.0.1")
        .dmarc_reject("acme.example")
        .dmarc_reject("other.example")
        .dkim(&other_key)
        .start()
    else {
        return;
    };
    let sink = SmtpSink::start(&SinkOptions::default());
    let (gw, port) = installation(
        &sink,
        &dns,
        "max_message_bytes = 65536\nmax_per_sender_per_hour = 2\n",
    );
    let dir = gw.path().to_path_buf();
    let bob = format!("{BOB_LINE}@{DOMAIN}");
    let tiff = std::fs::read(fax_pages::write_doc(
        &dir,
        "page.tif",
        &[fax_pages::test_page_top(7, 200)],
    ))
    .unwrap();
    let good =
        |from: &str, to: &str| mail_with(from, to, "hello", &[("image/tiff", "p.tif", &tiff)]);
    let send = |from: &str, rcpts: &[&str], raw: &[u8]| {
        smtp_send(
            &dir,
            port,
            "127.0.0.1",
            "mail.acme.example",
            from,
            rcpts,
            raw,
        )
    };
    let refused_at = |x: &Exchange, name: &str, code: u16, needle: &str| {
        let (c, t) = step(x, name);
        assert_eq!(c, code, "{name}: {x:?}");
        assert!(
            t.contains(needle),
            "expected {needle:?} in {name} reply: {x:?}"
        );
    };

    // Recipients: not a number, a national number, no rate, do-not-fax.
    let x = send(
        "carol@acme.example",
        &["invoices@fax.example"],
        &good("carol@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "not a fax number");
    let x = send(
        "carol@acme.example",
        &["0299001122@fax.example"],
        &good("carol@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "no country code");
    let x = send(
        "carol@acme.example",
        &["+15550100199@fax.example"],
        &good("carol@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "no rate for +15550100199");
    gw.ok(&["block", "add", "+33299001199", "--direction", "out"]);
    let x = send(
        "carol@acme.example",
        &["+33299001199@fax.example"],
        &good("carol@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "block list");

    // The message: no attachment, an attachment that is not a fax format, a corrupt PDF,
    // too large.
    let x = send(
        "carol@acme.example",
        &[&bob],
        &mail_with("carol@acme.example", &bob, "no file", &[]),
    );
    refused_at(&x, "data", 550, "nothing to fax");
    let doc = mail_with(
        "carol@acme.example",
        &bob,
        "x",
        &[("application/msword", "letter.doc", b"\xd0\xcf\x11\xe0")],
    );
    let x = send("carol@acme.example", &[&bob], &doc);
    refused_at(&x, "data", 550, "letter.doc");
    let corrupt = mail_with(
        "carol@acme.example",
        &bob,
        "x",
        &[("application/pdf", "bad.pdf", b"%PDF-1.4 not really")],
    );
    let x = send("carol@acme.example", &[&bob], &corrupt);
    refused_at(&x, "data", 550, "bad.pdf");
    let big = mail_with(
        "carol@acme.example",
        &bob,
        &"x".repeat(70_000),
        &[("image/tiff", "p.tif", &tiff)],
    );
    let x = send("carol@acme.example", &[&bob], &big);
    refused_at(&x, "data", 552, "too large");

    // The From header must be allowed too, not only MAIL FROM: other.example's signature
    // passes DMARC, but other.example is on no list.
    let x = send(
        "carol@acme.example",
        &[&bob],
        &other_key.sign(&good("mallory@other.example", &bob)),
    );
    refused_at(
        &x,
        "data",
        550,
        "From <mallory@other.example> may not send faxes",
    );

    // The sender's hourly rate (2): the corrupt PDF above counted once for carol.
    let x = send("carol@acme.example", &[&bob], &corrupt);
    refused_at(&x, "data", 550, "bad.pdf");
    let x = send(
        "carol@acme.example",
        &[&bob],
        &good("carol@acme.example", &bob),
    );
    refused_at(&x, "data", 451, "too many faxes from <carol@acme.example>");
    assert_nothing_reserved_or_charged(&gw, "0.00", "after the refusals");

    // The account: suspended, restricted, at its ceiling.
    gw.ok(&["account", "suspend", "acme", "--reason", "unpaid"]);
    let x = send(
        "dave@acme.example",
        &[&bob],
        &good("dave@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "suspended");
    // Restricted: only the operator's own numbers (bob's line is one of them).
    gw.ok(&[
        "account",
        "restrict",
        "acme",
        "--reason",
        "documents missing",
    ]);
    let x = send(
        "dave@acme.example",
        &["+33299001177@fax.example"],
        &good("dave@acme.example", &bob),
    );
    refused_at(&x, "rcpt", 550, "is restricted");
    gw.ok(&["account", "activate", "acme"]);
    gw.ok(&["billing", "ceiling", "acme", "0.01"]);
    let x = send(
        "dave@acme.example",
        &[&bob],
        &good("dave@acme.example", &bob),
    );
    let (c, t) = step(&x, "rcpt");
    assert_eq!(c, 550, "{x:?}");
    assert!(t.to_lowercase().contains("ceiling"), "{t}");
    assert_nothing_reserved_or_charged(&gw, "0.00", "after the account refusals");
    let jobs = std::fs::read_dir(dir.join("spool"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("manifest.json").exists())
        .count();
    assert_eq!(jobs, 0, "nothing queued");

    // Several recipients: one fax each, both named in the reply, each reserved (one page at
    // 0.05 €; the dialer may already have charged some of it).
    gw.ok(&["billing", "ceiling", "acme", "--default"]);
    let second = format!("{ACME_LINE}@{DOMAIN}");
    let x = send(
        "erin@acme.example",
        &[&bob, &second, &bob],
        &good("erin@acme.example", &bob),
    );
    let (code, text) = step(&x, "data");
    assert_eq!(code, 250, "{x:?}");
    assert_eq!(
        text.matches(" to +").count(),
        2,
        "one fax per number: {text}"
    );
    assert!(
        text.contains(&format!(" to {BOB_LINE}")) && text.contains(&format!(" to {ACME_LINE}")),
        "{text}"
    );
    let s = status(&gw, "acme");
    let total = |k: &str| s[k].as_str().unwrap().parse::<f64>().unwrap();
    assert!(
        (total("used") + total("reserved") - 0.10).abs() < 1e-9,
        "two one-page faxes held or charged: {s}"
    );
}

/// STARTTLS with the configured certificate (verified by the client), the session starting
/// over under TLS; connections per source capped (421); a silent client cut off (421); on
/// SIGTERM a waiting session told 421 and the listener closed.
#[test]
fn starttls_and_connection_limits() {
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpStream;
    if support::peers::require("python3", "python3").is_none() {
        return;
    }
    let Some(dns) = Zone::new()
        .spf("acme.example", "ip4:127.0.0.1")
        .dmarc_reject("acme.example")
        .start()
    else {
        return;
    };
    let pki = support::smtp::TestPki::generate();
    let ca = pki.dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let sink = SmtpSink::start(&SinkOptions::default());
    let (mut gw, port) = installation(
        &sink,
        &dns,
        &format!(
            "tls_cert = {:?}\ntls_key = {:?}\nmax_connections_per_source = 2\nidle_secs = 2\n",
            pki.cert_path.display().to_string(),
            pki.key_path.display().to_string()
        ),
    );

    const CLIENT: &str = r#"
import json, smtplib, ssl, sys
port, ca = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="mail.acme.example", timeout=30)
s.ehlo()
before = s.has_extn("starttls")
code, _ = s.starttls(context=ctx)
version = s.sock.version()
s.ehlo()
after = s.has_extn("starttls")
mail = s.mail("carol@acme.example")[0]
rcpt = s.rcpt("+33299001122@fax.example")[0]
s.quit()
print(json.dumps([before, code, version, after, mail, rcpt]))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", CLIENT, &port.to_string()])
        .arg(&ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "STARTTLS client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got[0], true, "STARTTLS offered: {got}");
    assert_eq!(got[1], 220, "{got}");
    assert!(got[2].as_str().unwrap().starts_with("TLSv1."), "{got}");
    assert_eq!(got[3], false, "STARTTLS offered again under TLS: {got}");
    assert_eq!(
        (got[4].as_u64(), got[5].as_u64()),
        (Some(250), Some(250)),
        "{got}"
    );

    // Two connections from 127.0.0.1 are served; a third is told 421 and closed.
    let greet = |c: &TcpStream| {
        let mut line = String::new();
        BufReader::new(c).read_line(&mut line).unwrap();
        line
    };
    let open = || {
        let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c
    };
    let first = open();
    let second = open();
    assert!(greet(&first).starts_with("220 "));
    assert!(greet(&second).starts_with("220 "));
    let third = open();
    let line = greet(&third);
    assert!(
        line.starts_with("421 4.7.0 too many connections"),
        "{line:?}"
    );

    // Silent for idle_secs (2): cut off with 421.
    let started = std::time::Instant::now();
    let mut rest = String::new();
    let _ = (&first).read_to_string(&mut rest);
    assert!(rest.starts_with("421 4.4.2"), "{rest:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop((first, second));

    // SIGTERM: a session waiting for its next command is told 421 and closed, the listener
    // stops accepting, and serve exits.
    // (The two connections above may take the server a moment to close.)
    let waiting = (0..20)
        .find_map(|_| {
            let c = open();
            if greet(&c).starts_with("220 ") {
                return Some(c);
            }
            std::thread::sleep(Duration::from_millis(100));
            None
        })
        .expect("a connection once the others are closed");
    gw.signal("TERM");
    let mut rest = String::new();
    let _ = (&waiting).read_to_string(&mut rest);
    assert!(rest.starts_with("421 4.3.2 shutting down"), "{rest:?}");
    let status = gw.wait_exit(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "serve after SIGTERM: {status:?}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still accepting after the drain"
    );
}
