//! The server side of one SMTP connection, sans-IO: fed the bytes the client sent
//! ([`Session::feed`]), polled for what to do next ([`Session::poll`]): bytes to write, a
//! decision the listener must take (sender, recipient, message), the TLS upgrade, the close.
//! No socket, no clock, no database: the listener ([`super::listener`]) moves the bytes,
//! keeps the time-outs and answers the decisions ([`Session::answer`]).
//!
//! Written here rather than taken from a crate: `mailin` (the one SMTP server state machine
//! with some use) asks its `Handler` synchronously, while our decisions on a sender or a
//! recipient are database look-ups (async), and it was last released in 2024; `samotop` is
//! abandoned; Stalwart's `smtp-proto` parses commands but leaves the session (states,
//! pipelining, DATA framing, limits) to its caller. What faxvox needs is small: EHLO/HELO,
//! STARTTLS, MAIL (SIZE, BODY), RCPT, DATA, RSET, NOOP, QUIT, VRFY and HELP.
//!
//! Safety on the open network: a command line longer than [`Limits::max_line`] is answered
//! 500 and skipped; a message over [`Limits::max_message_bytes`] is read to its end without
//! being kept, then refused 552; at most [`Limits::max_recipients`] recipients; after
//! [`Limits::max_errors`] bad commands the connection is closed (421). Nothing the client
//! sends makes it panic (a fuzz target drives it: `fuzz/fuzz_targets/smtp_session.rs`).
//!
//! Pipelining (RFC 2920): commands sent together are answered in order; while a decision is
//! pending the rest waits in the buffer. After STARTTLS everything buffered is dropped (RFC
//! 3207: a man in the middle could have injected it before the handshake).

use std::collections::VecDeque;

/// Bounds of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included (RFC 5321 asks for at least 512).
    pub max_line: usize,
    /// Largest message (after dot-unstuffing), advertised as SIZE.
    pub max_message_bytes: usize,
    /// Recipients of one message.
    pub max_recipients: usize,
    /// Bad commands before the connection is closed.
    pub max_errors: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 1000,
            max_message_bytes: 20 * 1024 * 1024,
            max_recipients: 10,
            max_errors: 10,
        }
    }
}

/// An SMTP reply: a code and its text (which starts with the enhanced status code when
/// there is one). A text of several lines becomes a multi-line reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// A 2xx reply.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The reply on the wire: control characters dropped, every line CRLF-terminated, each
    /// line at most 510 bytes (cut on a character boundary).
    pub fn to_bytes(&self) -> Vec<u8> {
        let code = self.code.clamp(200, 599);
        let lines: Vec<String> = self
            .text
            .split('\n')
            .map(|l| {
                let mut s: String = l.chars().filter(|c| !c.is_control()).collect();
                if s.len() > 500 {
                    let mut end = 500;
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    s.truncate(end);
                }
                s
            })
            .collect();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
        }
        out
    }
}

/// What the session wants done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Write these bytes to the client.
    Send(Vec<u8>),
    /// MAIL FROM: accept the sender or not ([`Session::answer`]). `from` is the address
    /// between the angle brackets (empty for the null sender).
    Mail { from: String },
    /// RCPT TO: accept the recipient or not ([`Session::answer`]).
    Rcpt { to: String },
    /// DATA: let the client send its message now (answer [`Session::go_ahead`]) or not
    /// (4xx/5xx): the listener bounds how many messages are received at once.
    Data,
    /// The message after DATA, dot-unstuffed, for the accepted sender and recipients
    /// ([`Session::sender`], [`Session::recipients`]): queue it or not ([`Session::answer`]).
    Message(Vec<u8>),
    /// The client asked for TLS and was told to go ahead: write what was sent before, run the
    /// handshake, then call [`Session::tls_started`] (or close on failure).
    StartTls,
    /// Close the connection (after writing what was sent before).
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Mail,
    Rcpt,
    Data,
    Message,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Commands.
    Command,
    /// Skipping the rest of an over-long command line.
    Discard,
    /// Between DATA's 354 and the lone dot.
    Data,
    /// TLS requested; nothing more is read until [`Session::tls_started`].
    TlsWait,
    /// QUIT, or too many errors: nothing more is read.
    Closed,
}

/// Settings of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our host name, in the greeting and the EHLO reply.
    pub hostname: String,
    /// STARTTLS is offered (a certificate is configured).
    pub tls_available: bool,
    pub limits: Limits,
}

/// One SMTP connection, server side.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    input: Vec<u8>,
    events: VecDeque<Event>,
    phase: Phase,
    pending: Option<Pending>,
    tls: bool,
    helo: Option<String>,
    sender: Option<String>,
    /// The address of the RCPT waiting for its decision.
    candidate: Option<String>,
    recipients: Vec<String>,
    message: Vec<u8>,
    message_size: usize,
    /// In DATA: the next byte starts a line.
    line_start: bool,
    errors: u32,
}

/// Most bytes kept in the input buffer beyond a line: a client cannot make the session hold
/// more than this (plus a line) whatever it sends.
const INPUT_SLACK: usize = 64 * 1024;

impl Session {
    /// A session whose greeting (220) is the first event.
    pub fn new(config: SessionConfig) -> Session {
        let greeting = Reply::new(220, format!("{} ESMTP faxvox", config.hostname));
        let mut s = Session {
            config,
            input: Vec::new(),
            events: VecDeque::new(),
            phase: Phase::Command,
            pending: None,
            tls: false,
            helo: None,
            sender: None,
            candidate: None,
            recipients: Vec::new(),
            message: Vec::new(),
            message_size: 0,
            line_start: true,
            errors: 0,
        };
        s.reply(greeting);
        s
    }

    /// Bytes from the client. While a decision is pending (or the TLS upgrade), they wait in
    /// the buffer; a client that keeps sending without reading its replies is cut off at
    /// [`INPUT_SLACK`] bytes (the excess is dropped and the session closes).
    pub fn feed(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::Closed | Phase::TlsWait) {
            return;
        }
        if self.pending.is_some()
            && self.input.len() + bytes.len() > INPUT_SLACK + self.config.limits.max_line
        {
            self.close_with(Reply::new(421, "4.7.0 too much pipelined input; closing"));
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The next thing to do, or `None` when the session needs more input (or a decision).
    pub fn poll(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            if self.pending.is_some() || !self.step() {
                return None;
            }
        }
    }

    /// The decision on the pending [`Event::Mail`], [`Event::Rcpt`], [`Event::Data`] or
    /// [`Event::Message`]. A positive reply accepts it (354 for DATA). Ignored when nothing is
    /// pending.
    pub fn answer(&mut self, reply: Reply) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let ok = reply.is_positive();
        match pending {
            Pending::Data => {
                if reply.code == 354 {
                    self.phase = Phase::Data;
                    self.line_start = true;
                    self.message = Vec::new();
                    self.message_size = 0;
                }
            }
            Pending::Mail => {
                if !ok {
                    self.sender = None;
                }
            }
            Pending::Rcpt => {
                let to = self.candidate.take();
                if ok {
                    self.recipients.extend(to);
                }
            }
            Pending::Message => self.reset_transaction(),
        }
        self.reply(reply);
    }

    /// The TLS handshake succeeded: the session starts over (RFC 3207: forget the HELO; the
    /// client says EHLO again).
    pub fn tls_started(&mut self) {
        if self.phase != Phase::TlsWait {
            return;
        }
        self.tls = true;
        self.helo = None;
        self.reset_transaction();
        self.input.clear();
        self.phase = Phase::Command;
    }

    /// The connection is under TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The name the client gave in EHLO/HELO.
    pub fn helo(&self) -> Option<&str> {
        self.helo.as_deref()
    }

    /// The accepted MAIL FROM of the transaction.
    pub fn sender(&self) -> Option<&str> {
        self.sender.as_deref()
    }

    /// The accepted recipients of the transaction, in order.
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }

    /// The recipient of the pending RCPT.
    pub fn candidate(&self) -> Option<&str> {
        self.candidate.as_deref()
    }

    fn reply(&mut self, reply: Reply) {
        self.events.push_back(Event::Send(reply.to_bytes()));
    }

    fn close_with(&mut self, reply: Reply) {
        self.reply(reply);
        self.events.push_back(Event::Close);
        self.phase = Phase::Closed;
        self.input.clear();
    }

    fn reset_transaction(&mut self) {
        self.sender = None;
        self.candidate = None;
        self.recipients.clear();
        self.message = Vec::new();
        self.message_size = 0;
        self.line_start = true;
    }

    /// Handles what the buffer holds; false when it needs more input.
    fn step(&mut self) -> bool {
        match self.phase {
            Phase::Closed | Phase::TlsWait => false,
            Phase::Data => self.step_data(),
            Phase::Discard => match self.input.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.input.drain(..=i);
                    self.phase = Phase::Command;
                    true
                }
                None => {
                    self.input.clear();
                    false
                }
            },
            Phase::Command => match self.input.iter().position(|&b| b == b'\n') {
                Some(i) if i < self.config.limits.max_line => {
                    let line: Vec<u8> = self.input.drain(..=i).collect();
                    let line = trim_eol(&line);
                    self.command(line);
                    true
                }
                Some(_) => {
                    let i = self.input.iter().position(|&b| b == b'\n').unwrap_or(0);
                    self.input.drain(..=i);
                    self.error(Reply::new(500, "5.5.2 line too long"));
                    true
                }
                None if self.input.len() >= self.config.limits.max_line => {
                    self.input.clear();
                    self.phase = Phase::Discard;
                    self.error(Reply::new(500, "5.5.2 line too long"));
                    true
                }
                None => false,
            },
        }
    }

    /// DATA: lines up to the lone dot, dot-unstuffed, kept up to the size limit.
    fn step_data(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        if self.line_start && self.input[0] == b'.' {
            let rest = &self.input[1..];
            if rest.is_empty() || (rest == b"\r") {
                return false;
            }
            if rest.starts_with(b"\r\n") || rest.starts_with(b"\n") {
                let n = if rest.starts_with(b"\r\n") { 3 } else { 2 };
                self.input.drain(..n);
                self.end_of_data();
                return true;
            }
            // Dot-stuffed line: the first dot goes.
            self.input.remove(0);
        }
        let (take, line_end) = match self.input.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (self.input.len(), false),
        };
        self.message_size = self.message_size.saturating_add(take);
        if self.message_size <= self.config.limits.max_message_bytes {
            self.message.extend_from_slice(&self.input[..take]);
        } else if !self.message.is_empty() {
            self.message = Vec::new();
        }
        self.input.drain(..take);
        self.line_start = line_end;
        true
    }

    fn end_of_data(&mut self) {
        self.phase = Phase::Command;
        if self.message_size > self.config.limits.max_message_bytes {
            let limit = self.config.limits.max_message_bytes;
            self.reset_transaction();
            self.reply(Reply::new(
                552,
                format!("5.3.4 message too large: at most {limit} bytes"),
            ));
            return;
        }
        let message = std::mem::take(&mut self.message);
        self.pending = Some(Pending::Message);
        self.events.push_back(Event::Message(message));
    }

    /// A bad command: its reply, and the connection closed after too many.
    fn error(&mut self, reply: Reply) {
        self.errors += 1;
        if self.errors >= self.config.limits.max_errors {
            self.reply(reply);
            self.close_with(Reply::new(421, "4.7.0 too many errors; closing"));
        } else {
            self.reply(reply);
        }
    }

    fn command(&mut self, line: &[u8]) {
        let Ok(line) = std::str::from_utf8(line) else {
            return self.error(Reply::new(500, "5.5.2 command is not text"));
        };
        let (verb, arg) = match line.find(' ') {
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => (line, ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" => self.hello(verb.eq_ignore_ascii_case("EHLO"), arg),
            "MAIL" => self.mail(arg),
            "RCPT" => self.rcpt(arg),
            "DATA" => self.data(arg),
            "RSET" => {
                self.reset_transaction();
                self.reply(Reply::new(250, "2.0.0 OK"));
            }
            "NOOP" => self.reply(Reply::new(250, "2.0.0 OK")),
            "QUIT" => self.close_with(Reply::new(221, "2.0.0 bye")),
            "STARTTLS" => self.starttls(arg),
            "VRFY" => self.reply(Reply::new(252, "2.5.0 cannot verify; send and see")),
            "HELP" => self.reply(Reply::new(
                214,
                "2.0.0 mail to <number>@<this domain> is faxed to that number",
            )),
            "AUTH" | "BDAT" | "EXPN" | "ETRN" | "TURN" => {
                self.error(Reply::new(502, "5.5.1 command not implemented"))
            }
            "" => self.error(Reply::new(500, "5.5.2 empty command")),
            _ => self.error(Reply::new(500, "5.5.2 command not recognised")),
        }
    }

    fn hello(&mut self, extended: bool, arg: &str) {
        let name = arg.split_whitespace().next().unwrap_or("");
        if name.is_empty() || name.len() > 255 {
            return self.error(Reply::new(501, "5.5.4 a host name is needed"));
        }
        self.reset_transaction();
        self.helo = Some(name.to_string());
        let host = &self.config.hostname;
        if !extended {
            return self.reply(Reply::new(250, format!("{host} hello {name}")));
        }
        let mut lines = vec![
            format!("{host} hello {name}"),
            "PIPELINING".to_string(),
            format!("SIZE {}", self.config.limits.max_message_bytes),
            "8BITMIME".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
        ];
        if self.config.tls_available && !self.tls {
            lines.push("STARTTLS".into());
        }
        self.reply(Reply::new(250, lines.join("\n")));
    }

    fn starttls(&mut self, arg: &str) {
        if !self.config.tls_available {
            return self.error(Reply::new(502, "5.5.1 TLS is not available"));
        }
        if self.tls {
            return self.error(Reply::new(503, "5.5.1 TLS is already active"));
        }
        if !arg.is_empty() {
            return self.error(Reply::new(501, "5.5.4 STARTTLS takes no argument"));
        }
        self.reply(Reply::new(220, "2.0.0 ready to start TLS"));
        self.events.push_back(Event::StartTls);
        self.phase = Phase::TlsWait;
        self.input.clear();
    }

    fn mail(&mut self, arg: &str) {
        if self.helo.is_none() {
            return self.error(Reply::new(503, "5.5.1 say EHLO first"));
        }
        if self.sender.is_some() {
            return self.error(Reply::new(503, "5.5.1 MAIL already given"));
        }
        let Some((path, params)) = path_arg(arg, "FROM:") else {
            return self.error(Reply::new(501, "5.5.4 syntax: MAIL FROM:<address>"));
        };
        for p in params.split_whitespace() {
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<u64>() {
                    Ok(n) if n > self.config.limits.max_message_bytes as u64 => {
                        return self.reply(Reply::new(
                            552,
                            format!(
                                "5.3.4 message too large: at most {} bytes",
                                self.config.limits.max_message_bytes
                            ),
                        ));
                    }
                    Ok(_) => {}
                    Err(_) => return self.error(Reply::new(501, "5.5.4 bad SIZE")),
                },
                "BODY"
                    if value.eq_ignore_ascii_case("7BIT")
                        || value.eq_ignore_ascii_case("8BITMIME") => {}
                _ => {
                    return self.error(Reply::new(555, "5.5.4 parameter not supported"));
                }
            }
        }
        self.sender = Some(path.to_string());
        self.pending = Some(Pending::Mail);
        self.events.push_back(Event::Mail {
            from: path.to_string(),
        });
    }

    fn rcpt(&mut self, arg: &str) {
        if self.sender.is_none() {
            return self.error(Reply::new(503, "5.5.1 MAIL first"));
        }
        let Some((path, params)) = path_arg(arg, "TO:") else {
            return self.error(Reply::new(501, "5.5.4 syntax: RCPT TO:<address>"));
        };
        if !params.trim().is_empty() {
            return self.error(Reply::new(555, "5.5.4 parameter not supported"));
        }
        if path.is_empty() {
            return self.error(Reply::new(501, "5.1.3 empty recipient"));
        }
        if self.recipients.len() >= self.config.limits.max_recipients {
            return self.reply(Reply::new(
                452,
                format!(
                    "4.5.3 at most {} recipients per message",
                    self.config.limits.max_recipients
                ),
            ));
        }
        self.candidate = Some(path.to_string());
        self.pending = Some(Pending::Rcpt);
        self.events.push_back(Event::Rcpt {
            to: path.to_string(),
        });
    }

    fn data(&mut self, arg: &str) {
        if !arg.is_empty() {
            return self.error(Reply::new(501, "5.5.4 DATA takes no argument"));
        }
        if self.sender.is_none() {
            return self.error(Reply::new(503, "5.5.1 MAIL first"));
        }
        if self.recipients.is_empty() {
            return self.error(Reply::new(554, "5.5.1 no valid recipients"));
        }
        self.pending = Some(Pending::Data);
        self.events.push_back(Event::Data);
    }

    /// The go-ahead for DATA, for [`Session::answer`].
    pub fn go_ahead() -> Reply {
        Reply::new(354, "end data with <CR><LF>.<CR><LF>")
    }
}

/// The line without its CRLF (or bare LF).
fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `FROM:<a@b> PARAMS` → (`a@b`, `PARAMS`). A space after the colon is tolerated; the
/// brackets are not optional. A source route (`<@x,@y:a@b>`) is reduced to its address.
fn path_arg<'a>(arg: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    let mut path = &rest[..end];
    if path.starts_with('@') {
        path = &path[path.find(':')? + 1..];
    }
    if path.chars().any(|c| c.is_control() || c == ' ' || c == '<') || path.len() > 254 {
        return None;
    }
    Some((path, &rest[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tls: bool) -> Session {
        Session::new(SessionConfig {
            hostname: "fax.example".into(),
            tls_available: tls,
            limits: Limits {
                max_message_bytes: 1000,
                ..Limits::default()
            },
        })
    }

    /// Feeds `input`, answers every decision with `decide`, returns what was written (and
    /// "<TLS>" / "<CLOSE>" for those events) and the messages.
    fn run(
        s: &mut Session,
        input: &[u8],
        mut decide: impl FnMut(&Event) -> Reply,
    ) -> (String, Vec<Vec<u8>>) {
        s.feed(input);
        let mut out = String::new();
        let mut messages = Vec::new();
        while let Some(e) = s.poll() {
            match &e {
                Event::Send(b) => out.push_str(&String::from_utf8_lossy(b)),
                Event::StartTls => out.push_str("<TLS>\r\n"),
                Event::Close => out.push_str("<CLOSE>\r\n"),
                Event::Message(m) => {
                    messages.push(m.clone());
                    let r = decide(&e);
                    s.answer(r);
                }
                _ => {
                    let r = decide(&e);
                    s.answer(r);
                }
            }
        }
        (out, messages)
    }

    fn ok(e: &Event) -> Reply {
        match e {
            Event::Data => Session::go_ahead(),
            _ => Reply::new(250, "2.1.0 OK"),
        }
    }

    fn codes(out: &str) -> Vec<&str> {
        out.lines()
            .filter(|l| l.len() >= 4 && &l[3..4] == " ")
            .map(|l| &l[..3])
            .collect()
    }

    #[test]
    fn a_pipelined_session_with_dot_stuffing() {
        let mut s = session(false);
        let input =
            b"EHLO client.example\r\nMAIL FROM:<alice@acme.example> SIZE=100 BODY=8BITMIME\r\n\
RCPT TO:<+33100000001@fax.example>\r\nRCPT TO:<33100000002@fax.example>\r\nDATA\r\n\
Subject: hi\r\n\r\n..leading dot\r\nline\r\n.\r\nQUIT\r\n";
        let (out, msgs) = run(&mut s, input, ok);
        assert_eq!(
            codes(&out),
            ["220", "250", "250", "250", "250", "354", "250", "221"],
            "{out}"
        );
        assert!(out.contains("250-PIPELINING\r\n250-SIZE 1000\r\n"), "{out}");
        assert!(!out.contains("STARTTLS"), "{out}");
        assert!(out.ends_with("<CLOSE>\r\n"));
        assert_eq!(
            msgs,
            [b"Subject: hi\r\n\r\n.leading dot\r\nline\r\n".to_vec()]
        );
    }

    #[test]
    fn decisions_hold_the_pipeline_and_refusals_are_kept_out() {
        let mut s = session(false);
        s.feed(b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nDATA\r\n");
        assert!(matches!(s.poll(), Some(Event::Send(_))));
        assert!(matches!(s.poll(), Some(Event::Send(_))));
        assert_eq!(s.poll(), Some(Event::Mail { from: "a@b".into() }));
        // Nothing more until the decision.
        assert_eq!(s.poll(), None);
        s.answer(Reply::new(250, "ok"));
        assert!(matches!(s.poll(), Some(Event::Send(_))));
        assert_eq!(s.poll(), Some(Event::Rcpt { to: "1@x".into() }));
        s.answer(Reply::new(550, "5.1.1 no such number"));
        let Some(Event::Send(b)) = s.poll() else {
            panic!()
        };
        assert_eq!(b, b"550 5.1.1 no such number\r\n");
        assert_eq!(s.poll(), Some(Event::Rcpt { to: "2@x".into() }));
        s.answer(Reply::new(250, "ok"));
        assert!(matches!(s.poll(), Some(Event::Send(_))));
        assert_eq!(s.poll(), Some(Event::Data));
        s.answer(Session::go_ahead());
        let Some(Event::Send(b)) = s.poll() else {
            panic!()
        };
        assert!(b.starts_with(b"354"));
        assert_eq!(s.recipients(), ["2@x"]);
        assert_eq!(s.sender(), Some("a@b"));
    }

    #[test]
    fn order_of_commands_is_enforced() {
        let mut s = session(false);
        let (out, _) = run(
            &mut s,
            b"MAIL FROM:<a@b>\r\nEHLO c\r\nRCPT TO:<1@x>\r\nDATA\r\nMAIL FROM:<a@b>\r\nDATA\r\nMAIL FROM:<c@d>\r\nRSET\r\nNOOP\r\n",
            ok,
        );
        assert_eq!(
            codes(&out),
            ["220", "503", "250", "503", "503", "250", "554", "503", "250", "250"],
            "{out}"
        );
    }

    #[test]
    fn refused_sender_ends_the_transaction() {
        let mut s = session(false);
        let (out, _) = run(
            &mut s,
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\n",
            |e| match e {
                Event::Mail { .. } => Reply::new(550, "5.7.1 not on the list"),
                e => ok(e),
            },
        );
        assert_eq!(codes(&out), ["220", "250", "550", "503"], "{out}");
    }

    #[test]
    fn data_can_be_deferred() {
        let mut s = session(false);
        let (out, msgs) = run(
            &mut s,
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nDATA\r\nNOOP\r\n",
            |e| match e {
                Event::Data => Reply::new(451, "4.3.2 busy"),
                e => ok(e),
            },
        );
        assert_eq!(
            codes(&out),
            ["220", "250", "250", "250", "451", "250"],
            "{out}"
        );
        assert!(msgs.is_empty());
        // The transaction stands: DATA again once there is room.
        let (out, msgs) = run(&mut s, b"DATA\r\nhi\r\n.\r\n", ok);
        assert_eq!(codes(&out), ["354", "250"], "{out}");
        assert_eq!(msgs, [b"hi\r\n".to_vec()]);
    }

    #[test]
    fn size_limits() {
        let mut s = session(false);
        let (out, _) = run(&mut s, b"EHLO c\r\nMAIL FROM:<a@b> SIZE=1001\r\n", ok);
        assert_eq!(codes(&out), ["220", "250", "552"], "{out}");
        // A message over the limit is read to its end, then refused; the session goes on.
        let mut big = b"MAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nDATA\r\n".to_vec();
        for _ in 0..30 {
            big.extend_from_slice(&[b'x'; 60]);
            big.extend_from_slice(b"\r\n");
        }
        big.extend_from_slice(b".\r\nNOOP\r\n");
        let (out, msgs) = run(&mut s, &big, ok);
        assert_eq!(codes(&out), ["250", "250", "354", "552", "250"], "{out}");
        assert!(msgs.is_empty());
    }

    #[test]
    fn long_lines_and_garbage_are_answered_then_closed() {
        let mut s = session(false);
        let mut input = vec![b'A'; 3000];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let (out, _) = run(&mut s, &input, ok);
        assert_eq!(codes(&out), ["220", "500", "250"], "{out}");
        // Fed in small pieces: the same.
        let mut s = session(false);
        for chunk in input.chunks(7) {
            s.feed(chunk);
            while s.poll().is_some() {}
        }
        let mut s = session(false);
        let (out, _) = run(&mut s, &b"\xff\xfe\r\nFOO\r\n".repeat(10), ok);
        assert!(out.contains("421 4.7.0 too many errors"), "{out}");
        assert!(out.ends_with("<CLOSE>\r\n"), "{out}");
        let (again, _) = run(&mut s, b"NOOP\r\n", ok);
        assert_eq!(again, "");
    }

    #[test]
    fn starttls_only_when_offered_and_drops_injected_commands() {
        let mut s = session(false);
        let (out, _) = run(&mut s, b"EHLO c\r\nSTARTTLS\r\n", ok);
        assert_eq!(codes(&out), ["220", "250", "502"], "{out}");

        let mut s = session(true);
        let (out, _) = run(
            &mut s,
            b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@x>\r\n",
            ok,
        );
        assert!(
            out.contains("250-STARTTLS\r\n") || out.contains("250 STARTTLS\r\n"),
            "{out}"
        );
        assert!(
            out.ends_with("220 2.0.0 ready to start TLS\r\n<TLS>\r\n"),
            "{out}"
        );
        s.tls_started();
        assert!(s.is_tls());
        assert_eq!(s.helo(), None);
        let (out, _) = run(&mut s, b"MAIL FROM:<a@b>\r\nEHLO c\r\n", ok);
        assert_eq!(codes(&out), ["503", "250"], "{out}");
        assert!(!out.contains("STARTTLS"), "{out}");
    }

    #[test]
    fn addresses_are_parsed_strictly() {
        assert_eq!(path_arg("FROM:<a@b>", "FROM:"), Some(("a@b", "")));
        assert_eq!(
            path_arg("from: <a@b> SIZE=1", "FROM:"),
            Some(("a@b", " SIZE=1"))
        );
        assert_eq!(path_arg("FROM:<>", "FROM:"), Some(("", "")));
        assert_eq!(path_arg("TO:<@relay:1@x>", "TO:"), Some(("1@x", "")));
        assert_eq!(path_arg("FROM:a@b", "FROM:"), None);
        assert_eq!(path_arg("FROM:<a b@c>", "FROM:"), None);
        assert_eq!(path_arg("TO", "TO:"), None);
        assert_eq!(path_arg("ΤΟ:<x>", "TO:"), None);
    }

    #[test]
    fn multi_line_replies() {
        assert_eq!(
            Reply::new(250, "a\nb\r\nc").to_bytes(),
            b"250-a\r\n250-b\r\n250 c\r\n"
        );
    }

    #[test]
    fn data_split_anywhere_reads_the_same() {
        let input = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nDATA\r\nA\r\n..B\r\n.\r\n";
        let whole = {
            let mut s = session(false);
            run(&mut s, input, ok).1
        };
        for split in 1..input.len() {
            let mut s = session(false);
            let mut msgs = run(&mut s, &input[..split], ok).1;
            msgs.extend(run(&mut s, &input[split..], ok).1);
            assert_eq!(msgs, whole, "split at {split}");
        }
        assert_eq!(whole, [b"A\r\n.B\r\n".to_vec()]);
    }
}
