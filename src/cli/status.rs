//! `faxvox status`: the running node's state at a glance, read from its `/status`
//! (`metrics.listen` of the configuration, or `--url`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::config::Config;
use crate::metrics::status::Status;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Base URL of the node's metrics listener, e.g. http://10.0.0.11:9750 (default: from
    /// metrics.listen of the configuration).
    #[arg(long)]
    pub url: Option<String>,
    /// Print the node's JSON as is.
    #[arg(long)]
    pub json: bool,
}

/// How long the node has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read.
const MAX_BYTES: u64 = 1 << 20;

pub fn run(args: &Args, config: &Config) -> anyhow::Result<ExitCode> {
    let base = match &args.url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => match config.metrics.listen {
            Some(addr) => format!("http://{addr}"),
            None => bail!(
                "metrics.listen is empty in the configuration, so the node has no status \
                 endpoint; pass --url http://HOST:PORT"
            ),
        },
    };
    let body = fetch(&format!("{base}/status"))?;
    if args.json {
        println!("{}", body.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    let status: Status = serde_json::from_str(&body)
        .with_context(|| format!("{base}/status did not answer a faxvox status"))?;
    print!("{}", render(&status));
    Ok(if status.ready {
        ExitCode::SUCCESS
    } else {
        // Scripts can tell a node that runs but takes no calls.
        ExitCode::from(3)
    })
}

/// The status as text, one fact a line.
fn render(s: &Status) -> String {
    let mut out = String::new();
    match &s.not_ready {
        None => out.push_str("ready: yes\n"),
        Some(why) => {
            out.push_str("ready: no\n");
            for line in why.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out.push_str(&format!(
        "version: {}, up {}\n",
        s.version,
        age(s.uptime_seconds as f64)
    ));
    let total: u64 = s.calls_in_progress.values().sum();
    let parts: Vec<String> = s
        .calls_in_progress
        .iter()
        .filter(|(k, _)| k.as_str() != "out_voicemail")
        .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
        .collect();
    out.push_str(&format!(
        "calls in progress: {total} ({})\n",
        parts.join(", ")
    ));
    out.push_str(&format!("media ports in use: {}\n", s.media_ports_in_use));
    if s.spool.is_empty() {
        out.push_str("spool: not counted yet\n");
    } else {
        let parts: Vec<String> = crate::metrics::status::spool_order(&s.spool)
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        out.push_str(&format!("spool: {}\n", parts.join(", ")));
    }
    if s.oldest_ready_age_seconds > 0.0 {
        out.push_str(&format!(
            "oldest ready job: waiting {}\n",
            age(s.oldest_ready_age_seconds)
        ));
    } else {
        out.push_str("oldest ready job: none waiting\n");
    }
    match &s.last_delivery_error {
        Some(e) => out.push_str(&format!(
            "last delivery error: {} job {}: {}\n",
            e.at, e.job, e.error
        )),
        None => out.push_str("last delivery error: none since start\n"),
    }
    out
}

/// `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
fn age(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

/// A GET over plain HTTP/1.0; the body of a 200 answer.
fn fetch(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url).with_context(|| format!("bad URL {url}"))?;
    if parsed.scheme() != "http" {
        bail!("only http:// URLs are supported (the metrics listener has no TLS): {url}");
    }
    let host = parsed
        .host_str()
        .with_context(|| format!("no host in {url}"))?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .with_context(|| format!("no address for {host}"))?;
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach the node at {addr} ({e}): is `faxvox serve` running, with \
             metrics.listen = \"{addr}\"?"
        )
    })?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let path = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream
        .take(MAX_BYTES)
        .read_to_end(&mut raw)
        .with_context(|| format!("no answer from {addr}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .with_context(|| format!("{url}: not an HTTP answer"))?;
    let status_line = head.lines().next().unwrap_or_default();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        bail!("{url} answered {status_line}");
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(0.4), "0 s");
        assert_eq!(age(185.0), "3 min 5 s");
        assert_eq!(age(7800.0), "2 h 10 min");
        assert_eq!(age(3.0 * 86400.0 + 4.0 * 3600.0), "3 d 4 h");
    }
}
