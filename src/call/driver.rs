//! [`MediaHandle`]: a [`MediaCall`] run on tokio with real sockets, as one task per call.
//!
//! The task owns the call's RTP and UDPTL sockets (from [`super::ports::PortPool`]) and moves
//! bytes and time: it sleeps until the call's next tick, reads whatever arrived on both
//! sockets (non-blocking std sockets, at most [`MAX_READS`] datagrams each per tick, so a flood
//! cannot starve the runtime), feeds it with the time since the media started, runs the tick,
//! sends what the call polls out and forwards its events. Everything else is decided in
//! [`MediaCall`].
//!
//! [`MediaHandle::hangup`] ends the sessions (fax phase E, recording finalised);
//! [`MediaHandle::finish`] waits for the task and returns the [`MediaOutcome`]. Dropping the
//! handle does the same in the background, so files are never left half-written.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::media_call::{
    MediaCall, MediaEvent, MediaOutcome, MediaRole, MediaSettings, Stream, Transmit,
};
use super::ports::{MediaSockets, PortLease};
use crate::sip::sdp::NegotiatedMedia;

/// Largest datagram we read; anything longer is truncated and fails to parse.
const RECV_BUF: usize = 2048;
/// Datagrams read per socket per tick, at most.
pub const MAX_READS: usize = 64;

/// The events of one call's media, in order; none is ever dropped.
pub type MediaEvents = mpsc::UnboundedReceiver<MediaEvent>;

enum Command {
    Apply(Box<NegotiatedMedia>),
    Hangup,
}

/// Controls one call's media task.
pub struct MediaHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<MediaOutcome>,
    rtp_addr: SocketAddr,
    udptl_addr: SocketAddr,
}

impl MediaHandle {
    /// Spawns the call's media task on the current tokio runtime. Nothing is sent until the
    /// first [`apply`](Self::apply). A session that cannot be created (missing folder or
    /// document, unwritable recording) reports [`MediaEvent::Finished`] at once and the reason
    /// in [`MediaOutcome::error`].
    pub fn spawn(
        call_id: String,
        sockets: MediaSockets,
        role: MediaRole,
        settings: MediaSettings,
    ) -> (MediaHandle, MediaEvents) {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (rtp_addr, udptl_addr) = (sockets.rtp_addr(), sockets.udptl_addr());
        let span = tracing::info_span!("media", call_id = %call_id);
        let call = MediaCall::new(call_id, role, settings);
        let task = tokio::spawn(tracing::Instrument::instrument(
            run(call, sockets, cmd_rx, ev_tx),
            span,
        ));
        (
            MediaHandle {
                commands: cmd_tx,
                task,
                rtp_addr,
                udptl_addr,
            },
            ev_rx,
        )
    }

    /// Starts or retargets media after an offer/answer (`StartMedia` / `SwitchMedia`).
    pub fn apply(&self, media: NegotiatedMedia) {
        let _ = self.commands.send(Command::Apply(Box::new(media)));
    }

    /// The call is over: end the sessions (idempotent).
    pub fn hangup(&self) {
        let _ = self.commands.send(Command::Hangup);
    }

    /// Our RTP address.
    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp_addr
    }

    /// Our UDPTL address.
    pub fn udptl_addr(&self) -> SocketAddr {
        self.udptl_addr
    }

    /// Ends the sessions if [`hangup`](Self::hangup) was not called, waits for the task and
    /// returns the results: fax report and TIFF closed, recording finalised.
    pub async fn finish(self) -> MediaOutcome {
        let _ = self.commands.send(Command::Hangup);
        match self.task.await {
            Ok(outcome) => outcome,
            Err(e) => MediaOutcome::failed(format!("media task failed: {e}")),
        }
    }
}

/// The two sockets (non-blocking std sockets: they are read at the tick, never awaited).
struct Io {
    rtp: UdpSocket,
    udptl: UdpSocket,
}

impl Io {
    fn socket(&self, stream: Stream) -> &UdpSocket {
        match stream {
            Stream::Rtp => &self.rtp,
            Stream::Udptl => &self.udptl,
        }
    }

    /// Reads what arrived on `stream` since the last tick into the call.
    fn receive(&self, call: &mut MediaCall, now: Duration, stream: Stream, buf: &mut [u8]) {
        let socket = self.socket(stream);
        for _ in 0..MAX_READS {
            match socket.recv_from(buf) {
                Ok((n, src)) => call.handle_datagram(now, stream, src, &buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // ICMP port unreachable from an earlier send, and the like: not fatal.
                Err(_) => continue,
            }
        }
    }

    /// Sends what the call has to send and forwards its events.
    fn flush(&self, call: &mut MediaCall, events: &mpsc::UnboundedSender<MediaEvent>) {
        while let Some(Transmit {
            stream,
            destination,
            payload,
        }) = call.poll_transmit()
        {
            if self.socket(stream).send_to(payload, destination).is_err() {
                call.handle_send_error(stream);
            }
        }
        while let Some(ev) = call.poll_event() {
            let _ = events.send(ev);
        }
    }
}

async fn run(
    mut call: MediaCall,
    sockets: MediaSockets,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<MediaEvent>,
) -> MediaOutcome {
    let MediaSockets { rtp, udptl, lease } = sockets;
    let io = Io { rtp, udptl };
    let mut buf = vec![0u8; RECV_BUF];
    // The media clock starts at the first apply.
    let mut epoch: Option<Instant> = None;
    let since = |epoch: Option<Instant>| epoch.map_or(Duration::ZERO, |e| e.elapsed());
    loop {
        io.flush(&mut call, &events);
        let deadline = epoch.zip(call.poll_timeout()).map(|(e, t)| e + t);
        tokio::select! {
            biased;
            cmd = commands.recv() => match cmd {
                Some(Command::Apply(media)) => {
                    let start = *epoch.get_or_insert_with(Instant::now);
                    call.apply(start.elapsed(), *media);
                }
                Some(Command::Hangup) | None => break,
            },
            () = sleep_until(deadline) => {
                let now = since(epoch);
                io.receive(&mut call, now, Stream::Rtp, &mut buf);
                io.receive(&mut call, now, Stream::Udptl, &mut buf);
                call.handle_tick(now);
            }
        }
    }
    let outcome = call.finish(since(epoch));
    drop(io);
    drop::<PortLease>(lease);
    outcome
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
