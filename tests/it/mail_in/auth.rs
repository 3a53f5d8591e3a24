//! Sender authentication (`faxvox::mail_in::auth`) against a real dnsmasq serving SPF, DKIM
//! and DMARC records: the From domain passes only through aligned SPF for the connecting
//! address or an aligned, valid DKIM signature; a domain without DMARC record is refused; a
//! DNS server that does not answer gives a temporary verdict.

use std::net::IpAddr;

use faxvox::mail_in::auth::{AuthVerdict, SenderAuth};

use crate::support::dns::{DkimKey, Dns, Zone};

const ALLOWED: &str = "127.0.0.1";
const ELSEWHERE: &str = "127.0.0.2";

/// acme.example: SPF allows 127.0.0.1 only, a DKIM key, DMARC p=reject. other.example: its
/// own key, SPF allowing 127.0.0.2, DMARC. nodmarc.example: SPF and DKIM, no DMARC record.
struct World {
    dns: Dns,
    acme: DkimKey,
    other: DkimKey,
    nodmarc: DkimKey,
}

fn world() -> Option<World> {
    let acme = DkimKey::ed25519("acme.example", "s1");
    let other = DkimKey::ed25519("other.example", "s1");
    let nodmarc = DkimKey::ed25519("nodmarc.example", "s1");
    let dns = Zone::new()
        .spf("acme.example", &format!("ip4:{ALLOWED}"))
        .dkim(&acme)
        .dmarc_reject("acme.example")
        .spf("other.example", &format!("ip4:{ELSEWHERE}"))
        .dkim(&other)
        .dmarc_reject("other.example")
        .spf("nodmarc.example", &format!("ip4:{ALLOWED}"))
        .dkim(&nodmarc)
        .start()?;
    Some(World {
        dns,
        acme,
        other,
        nodmarc,
    })
}

/// A plain mail from `from`, CRLF line ends.
fn mail(from: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Alice <{from}>\r\n\
         To: 33253437555@fax.example\r\n\
         Subject: Invoice 42\r\n\
         Date: Mon, 11 Jan 2027 10:00:00 +0100\r\n\
         Message-ID: <42@mail.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {body}\r\n"
    )
    .into_bytes()
}

async fn check(dns: &Dns, ip: &str, mail_from: &str, raw: &[u8]) -> AuthVerdict {
    let auth = SenderAuth::new(Some(dns.addr)).unwrap();
    let ip: IpAddr = ip.parse().unwrap();
    let v = auth.check(ip, "mail.sender.example", mail_from, raw).await;
    eprintln!("{ip} MAIL FROM:<{mail_from}>: {v:?}");
    v
}

fn refused(v: &AuthVerdict) {
    assert!(!v.pass && !v.temporary, "{v:?}");
    assert!(!v.reason.contains('\n'), "{v:?}");
}

#[tokio::test]
async fn dkim_signed_mail_from_anywhere_passes() {
    let Some(w) = world() else { return };
    let raw = w.acme.sign(&mail("alice@acme.example", "Please fax."));
    let v = check(&w.dns, ELSEWHERE, "alice@acme.example", &raw).await;
    assert!(v.pass, "{v:?}");
    assert!(!v.temporary);
    assert_eq!(v.from_domain, "acme.example");
    assert!(v.reason.contains("DKIM"), "{v:?}");
}

#[tokio::test]
async fn unsigned_mail_from_an_spf_allowed_address_passes() {
    let Some(w) = world() else { return };
    let raw = mail("alice@acme.example", "Please fax.");
    let v = check(&w.dns, ALLOWED, "bounces@acme.example", &raw).await;
    assert!(v.pass, "{v:?}");
    assert!(v.reason.contains("SPF pass for 127.0.0.1"), "{v:?}");
}

#[tokio::test]
async fn unsigned_mail_from_an_address_spf_forbids_is_refused_naming_spf() {
    let Some(w) = world() else { return };
    let raw = mail("alice@acme.example", "Please fax.");
    let v = check(&w.dns, ELSEWHERE, "alice@acme.example", &raw).await;
    refused(&v);
    assert_eq!(
        v.reason,
        "DMARC failed for acme.example: SPF fail for 127.0.0.2, no DKIM signature"
    );
}

#[tokio::test]
async fn a_signature_over_a_tampered_body_is_refused() {
    let Some(w) = world() else { return };
    let signed = w.acme.sign(&mail("alice@acme.example", "Pay 100 EUR."));
    let tampered = String::from_utf8(signed)
        .unwrap()
        .replace("Pay 100 EUR.", "Pay 900 EUR.");
    let v = check(&w.dns, ELSEWHERE, "alice@acme.example", tampered.as_bytes()).await;
    refused(&v);
    assert!(v.reason.contains("no valid DKIM signature"), "{v:?}");
    assert!(v.reason.contains("SPF fail for 127.0.0.2"), "{v:?}");
}

#[tokio::test]
async fn a_domain_without_dmarc_record_is_refused_even_when_spf_and_dkim_pass() {
    let Some(w) = world() else { return };
    let raw = w
        .nodmarc
        .sign(&mail("alice@nodmarc.example", "Please fax."));
    let v = check(&w.dns, ALLOWED, "alice@nodmarc.example", &raw).await;
    refused(&v);
    assert_eq!(v.from_domain, "nodmarc.example");
    assert!(v.reason.contains("no DMARC record"), "{v:?}");
}

#[tokio::test]
async fn a_signature_and_spf_of_another_domain_are_not_aligned() {
    let Some(w) = world() else { return };
    // Signed by other.example, sent from an address other.example's SPF allows, but From
    // says acme.example.
    let raw = w.other.sign(&mail("alice@acme.example", "Please fax."));
    let v = check(&w.dns, ELSEWHERE, "bounce@other.example", &raw).await;
    refused(&v);
    assert!(
        v.reason
            .contains("DKIM signature of other.example not aligned"),
        "{v:?}"
    );
    assert!(
        v.reason.contains("SPF pass for other.example not aligned"),
        "{v:?}"
    );
}

#[tokio::test]
async fn an_rsa_key_whose_record_spans_several_strings_verifies() {
    let rsa = DkimKey::rsa("acme.example", "rsa1", 2048);
    let (_, record) = rsa.record();
    assert!(record.len() > 255, "{}", record.len());
    let Some(dns) = Zone::new()
        .spf("acme.example", &format!("ip4:{ALLOWED}"))
        .dkim(&rsa)
        .dmarc_reject("acme.example")
        .start()
    else {
        return;
    };
    let raw = rsa.sign(&mail("alice@acme.example", "Please fax."));
    let v = check(&dns, ELSEWHERE, "alice@acme.example", &raw).await;
    assert!(v.pass, "{v:?}\n{}", dns.log());
}

#[tokio::test]
async fn a_dns_server_that_does_not_answer_gives_a_temporary_verdict() {
    let Some(mut w) = world() else { return };
    w.dns.stop();
    let raw = w.acme.sign(&mail("alice@acme.example", "Please fax."));
    let v = check(&w.dns, ELSEWHERE, "alice@acme.example", &raw).await;
    assert!(!v.pass && v.temporary, "{v:?}");
    assert_eq!(v.from_domain, "acme.example");
    assert!(v.reason.contains("try again later"), "{v:?}");
}

/// The system resolver is read from /etc/resolv.conf (when it names a server).
#[test]
fn the_system_resolver_is_the_default() {
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if !conf
        .lines()
        .any(|l| l.trim_start().starts_with("nameserver"))
    {
        eprintln!("SKIPPED: /etc/resolv.conf names no server");
        return;
    }
    SenderAuth::new(None).unwrap();
}

/// SPF on a subdomain of From (`bounce.acme.example`) is aligned under the default relaxed
/// `aspf`, not under `aspf=s`.
#[tokio::test]
async fn spf_alignment_is_relaxed_or_strict_as_the_dmarc_record_says() {
    let Some(dns) = Zone::new()
        .spf("bounce.acme.example", &format!("ip4:{ALLOWED}"))
        .dmarc_reject("acme.example")
        .spf("bounce.strict.example", &format!("ip4:{ALLOWED}"))
        .txt("_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s")
        .start()
    else {
        return;
    };
    let v = check(
        &dns,
        ALLOWED,
        "x@bounce.acme.example",
        &mail("alice@acme.example", "Please fax."),
    )
    .await;
    assert!(v.pass, "{v:?}");
    let v = check(
        &dns,
        ALLOWED,
        "x@bounce.strict.example",
        &mail("alice@strict.example", "Please fax."),
    )
    .await;
    refused(&v);
    assert!(
        v.reason
            .contains("SPF pass for bounce.strict.example not aligned"),
        "{v:?}"
    );
}

/// A DNS server that refuses to answer for the domain (as dnsmasq does outside the zones it
/// serves) is a temporary failure, not a refusal.
#[tokio::test]
async fn a_refused_query_gives_a_temporary_verdict() {
    let Some(w) = world() else { return };
    let raw = mail("alice@acme.unserved", "Please fax.");
    let v = check(&w.dns, ALLOWED, "alice@acme.unserved", &raw).await;
    assert!(!v.pass && v.temporary, "{v:?}");
    assert_eq!(v.from_domain, "acme.unserved");
}
