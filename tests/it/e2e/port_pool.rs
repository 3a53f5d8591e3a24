//! End to end, the media port pool of `faxvox serve`: the gateway and the outbound dialer
//! draw from one pool, and a port freed by one of them rests before anyone gets it again.
//! Two faxes are sent one after the other through the trunk, which is the gateway itself
//! (the dialer's call is answered by the gateway's fax line, both in the same process): the
//! second call's four ports (RTP and UDPTL, both sides) are none of the first call's. With a
//! pool each, the dialer took the ports the gateway had just freed.

use crate::support;
use crate::support::fax_pages;

use std::collections::BTreeSet;

use support::gateway::Gateway;
use support::smtp::{SinkOptions, SmtpSink};

const ALICE_LINE: &str = "+33100000001";
const BOB_LINE: &str = "+33299001122";

/// The ports named in the log's "media applied" lines (the remote RTP and UDPTL addresses of
/// both sides: each side's remote is the other's local port).
fn media_ports(log: &str) -> BTreeSet<u16> {
    log.lines()
        .filter(|l| l.contains("media applied"))
        .flat_map(|l| {
            l.split("127.0.0.1:")
                .skip(1)
                .filter_map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                        .parse::<u16>()
                        .ok()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn gateway_and_dialer_share_one_pool_and_freed_ports_rest() {
    let sink = SmtpSink::start(&SinkOptions::default());
    let mut gw = Gateway::new(&sink);
    gw.add_trunk(
        &format!("sip:127.0.0.1:{}", gw.sip_port),
        "retry_secs = 1\nmax_attempts = 2\n",
    );
    gw.account_add("alice", &["alice@a.example"], "Alice SARL");
    gw.account_add("bob", &["fax@bob.example"], "Bob & Fils");
    gw.line_add(ALICE_LINE, "alice", "fax", None);
    gw.line_add(BOB_LINE, "bob", "fax", None);
    gw.rate_france("0.05");
    // The default rest: 30 s, longer than the test.
    gw.set("FAXVOX_SIP_RTP_PORT_REST_SECS", "30");
    let port = gw.sip_port;
    gw.start();
    assert_eq!(
        gw.sip_port, port,
        "the gateway moved; trunk.uri points at the old port"
    );

    let doc = fax_pages::write_doc(gw.path(), "doc.tif", &[fax_pages::test_page_top(3, 300)]);
    let doc = doc.display().to_string();
    let mut calls = Vec::new();
    let mut seen = 0;
    for n in 0..2 {
        let out = gw
            .command(&[
                "send",
                "--account",
                "alice",
                "--from",
                ALICE_LINE,
                "--to",
                BOB_LINE,
                &doc,
                "--wait",
                "--wait-secs",
                "150",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            gw.print_log();
        }
        assert!(out.status.success(), "fax {n}: {stdout}");
        let log = gw.log();
        let lines: String = log.lines().skip(seen).map(|l| format!("{l}\n")).collect();
        seen = log.lines().count();
        let ports = media_ports(&lines);
        eprintln!("fax {n}: media ports {ports:?}");
        assert!(
            ports.len() >= 2,
            "fax {n}: no media ports in the log:\n{lines}"
        );
        for p in &ports {
            assert!(
                (gw.rtp.0..=gw.rtp.1).contains(p),
                "port {p} outside the gateway's range {:?}",
                gw.rtp
            );
        }
        calls.push(ports);
    }
    let reused: Vec<_> = calls[0].intersection(&calls[1]).collect();
    assert!(
        reused.is_empty(),
        "ports of the first call handed out again within the rest: {reused:?} ({:?} then {:?})",
        calls[0],
        calls[1]
    );
    gw.assert_alive("after the faxes");
}
