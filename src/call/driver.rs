//! [`MediaHandle`]: [`MediaCall`]s run on tokio with real sockets, many calls per task.
//!
//! Each tokio runtime gets a small fixed set of media drivers (one per runtime worker); a new
//! call joins one of them, round robin. A driver wakes on one shared **20 ms grid** (every
//! call's media clock starts on a grid instant, so one timer wake serves the ticks of all its
//! calls), then:
//! - asks its own epoll instance (a [`mio::Poll`], polled without blocking and never
//!   registered with tokio's reactor, so a packet does not wake the runtime) which sockets
//!   received something since the last wake: a socket with nothing costs no syscall;
//! - for each call: takes its commands (apply, hangup), reads what arrived on its two sockets
//!   (at most [`MAX_READS`] datagrams each per wake, so a flood on one socket cannot starve
//!   the others; what is left is read at the next wake), feeds it with the time since the
//!   call's media started, runs the due ticks, sends what the call polls out and forwards its
//!   events (an unbounded queue: none is lost).
//!
//! Everything else is decided in [`MediaCall`]. A command takes effect at the next grid wake
//! (within 20 ms); the first apply starts the call's clock on that wake.
//!
//! [`MediaHandle::hangup`] ends the sessions (fax phase E, recording finalised);
//! [`MediaHandle::finish`] waits for that and returns the [`MediaOutcome`]. Dropping the
//! handle does the same in the background, so files are never left half-written.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::media_call::{
    MediaCall, MediaEvent, MediaOutcome, MediaRole, MediaSettings, Stream, Transmit, TICK,
};
use super::ports::{MediaSockets, PortLease};
use super::recv_batch::{RecvBatch, BATCH};
use crate::sip::sdp::NegotiatedMedia;

/// Largest datagram we read; anything longer is truncated and fails to parse.
const RECV_BUF: usize = 2048;
/// Datagrams read per socket per tick, at most.
pub const MAX_READS: usize = 64;
/// Readiness events taken from the driver's epoll instance per call of it.
const EVENTS: usize = 1024;
/// Ticks one call may catch up in one wake (beyond the media call's own lag limit it jumps).
const MAX_CATCH_UP: usize = 64;

/// The events of one call's media, in order; none is ever dropped.
pub type MediaEvents = mpsc::UnboundedReceiver<MediaEvent>;

enum Command {
    Apply(Box<NegotiatedMedia>),
    Hangup,
}

/// Controls one call's media (run by one of the runtime's media drivers).
pub struct MediaHandle {
    commands: mpsc::UnboundedSender<Command>,
    done: oneshot::Receiver<MediaOutcome>,
    rtp_addr: SocketAddr,
    udptl_addr: SocketAddr,
}

impl MediaHandle {
    /// Hands the call's media to a driver of the current tokio runtime. Nothing is sent until
    /// the first [`apply`](Self::apply). A session that cannot be created (missing folder or
    /// document, unwritable recording) reports [`MediaEvent::Finished`] at once and the reason
    /// in [`MediaOutcome::error`].
    pub fn spawn(
        call_id: String,
        sockets: MediaSockets,
        role: MediaRole,
        settings: MediaSettings,
    ) -> (MediaHandle, MediaEvents) {
        let (slot, handle, events) = new_call(call_id, sockets, role, settings);
        submit(slot);
        (handle, events)
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

    /// Ends the sessions if [`hangup`](Self::hangup) was not called, waits for the driver to
    /// close them and returns the results: fax report and TIFF closed, recording finalised.
    pub async fn finish(self) -> MediaOutcome {
        let _ = self.commands.send(Command::Hangup);
        match self.done.await {
            Ok(outcome) => {
                // Counted once per call, not per packet: the media path stays free of shared
                // writes.
                crate::metrics::metrics().rtp(
                    outcome.rtp.packets_lost,
                    outcome.rtp.foreign + outcome.udptl_foreign,
                );
                outcome
            }
            Err(_) => MediaOutcome::failed("media driver stopped".into()),
        }
    }
}

/// A call's slot for a driver, with its handle and event queue.
fn new_call(
    call_id: String,
    sockets: MediaSockets,
    role: MediaRole,
    settings: MediaSettings,
) -> (Slot, MediaHandle, MediaEvents) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = oneshot::channel();
    let (rtp_addr, udptl_addr) = (sockets.rtp_addr(), sockets.udptl_addr());
    let span = tracing::info_span!("media", call_id = %call_id);
    let call = span.in_scope(|| MediaCall::new(call_id, role, settings));
    let slot = Slot {
        call,
        sockets,
        commands: cmd_rx,
        events: ev_tx,
        done: done_tx,
        epoch: None,
        span,
        ready: [true, true],
        polled: false,
    };
    let handle = MediaHandle {
        commands: cmd_tx,
        done: done_rx,
        rtp_addr,
        udptl_addr,
    };
    (slot, handle, ev_rx)
}

// ---------------------------------------------------------------------------------------------
// The drivers of each runtime
// ---------------------------------------------------------------------------------------------

/// The media drivers of one runtime, and which takes the next call.
struct Pool {
    drivers: Vec<mpsc::UnboundedSender<Slot>>,
    next: usize,
}

impl Pool {
    /// One driver per worker of the current runtime.
    fn start(rt: &tokio::runtime::Handle) -> Pool {
        let n = rt.metrics().num_workers().max(1);
        let drivers = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                rt.spawn(run(rx));
                tx
            })
            .collect();
        Pool { drivers, next: 0 }
    }

    fn alive(&self) -> bool {
        self.drivers.iter().all(|d| !d.is_closed())
    }
}

/// The pools by runtime (a runtime's drivers end with it; its id may then be reused).
fn pools() -> &'static Mutex<HashMap<tokio::runtime::Id, Pool>> {
    static POOLS: OnceLock<Mutex<HashMap<tokio::runtime::Id, Pool>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Hands a new call to a driver of the current runtime, starting the drivers if needed.
fn submit(slot: Slot) {
    let rt = tokio::runtime::Handle::current();
    let mut pools = pools().lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|_, p| p.alive());
    let pool = pools.entry(rt.id()).or_insert_with(|| Pool::start(&rt));
    let i = pool.next % pool.drivers.len();
    pool.next = pool.next.wrapping_add(1);
    if let Err(mpsc::error::SendError(slot)) = pool.drivers[i].send(slot) {
        // The driver is gone (its runtime is shutting down): the call ends at once.
        slot.fail("media driver stopped");
    }
}

/// The shared 20 ms grid: its origin, the same for every driver of the process.
fn grid_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// The first grid instant at or after `t`.
pub fn grid_ceil(t: Instant) -> Instant {
    let origin = grid_origin();
    let since = t.saturating_duration_since(origin).as_nanos();
    let tick = TICK.as_nanos();
    let k = since.div_ceil(tick);
    origin + Duration::from_nanos((k * tick) as u64)
}

async fn run(mut admit: mpsc::UnboundedReceiver<Slot>) {
    let mut driver = Driver::new();
    let mut last: Option<Instant> = None;
    loop {
        if driver.is_empty() {
            match admit.recv().await {
                Some(slot) => driver.admit(slot),
                None => return,
            }
        }
        let mut at = grid_ceil(Instant::now());
        if let Some(l) = last.filter(|l| at <= *l) {
            at = l + TICK;
        }
        tokio::time::sleep_until(at).await;
        last = Some(at);
        while let Ok(slot) = admit.try_recv() {
            driver.admit(slot);
        }
        driver.serve(at, Instant::now());
    }
}

// ---------------------------------------------------------------------------------------------
// One driver
// ---------------------------------------------------------------------------------------------

/// One call in a driver.
struct Slot {
    call: MediaCall,
    sockets: MediaSockets,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<MediaEvent>,
    done: oneshot::Sender<MediaOutcome>,
    /// The grid instant the media clock started at (the first apply).
    epoch: Option<Instant>,
    span: tracing::Span,
    /// Per stream (RTP, UDPTL): something may be waiting to be read.
    ready: [bool; 2],
    /// The sockets are registered with the driver's epoll (else they are read every tick).
    polled: bool,
}

impl Slot {
    /// The call cannot be run at all.
    fn fail(self, why: &str) {
        let _ = self.events.send(MediaEvent::Finished);
        let _ = self.done.send(MediaOutcome::failed(why.into()));
    }

    /// Reads what arrived on `stream` into the call, [`MAX_READS`] datagrams at most (the
    /// rest stays marked ready for the next wake).
    fn receive(&mut self, now: Duration, stream: Stream, batch: &mut RecvBatch) {
        let i = stream_index(stream);
        let mut left = MAX_READS;
        while self.ready[i] && left > 0 {
            let want = left.min(BATCH);
            let got = match stream {
                Stream::Rtp => batch.recv(&self.sockets.rtp, want),
                Stream::Udptl => batch.recv(&self.sockets.udptl, want),
            };
            match got {
                Ok(n) => {
                    for k in 0..n {
                        if let (data, Some(src)) = batch.get(k) {
                            self.call.handle_datagram(now, stream, src, data);
                        }
                    }
                    left -= n.max(1);
                    if n < want {
                        // Drained: the next datagram raises an epoll event.
                        self.ready[i] = !self.polled;
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.ready[i] = !self.polled;
                    return;
                }
                // ICMP port unreachable from an earlier send, and the like: not fatal.
                Err(_) => left -= 1,
            }
        }
    }

    /// Sends what the call has to send and forwards its events.
    fn flush(&mut self) {
        while let Some(Transmit {
            stream,
            destination,
            payload,
        }) = self.call.poll_transmit()
        {
            let socket = match stream {
                Stream::Rtp => &self.sockets.rtp,
                Stream::Udptl => &self.sockets.udptl,
            };
            if socket.send_to(payload, destination).is_err() {
                self.call.handle_send_error(stream);
            }
        }
        while let Some(ev) = self.call.poll_event() {
            let _ = self.events.send(ev);
        }
    }
}

fn stream_index(stream: Stream) -> usize {
    match stream {
        Stream::Rtp => 0,
        Stream::Udptl => 1,
    }
}

/// The calls of one driver and what they share: the epoll instance and the receive buffer.
struct Driver {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    len: usize,
    poll: Option<mio::Poll>,
    events: mio::Events,
    batch: RecvBatch,
}

impl Driver {
    fn new() -> Driver {
        let poll = match mio::Poll::new() {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "no epoll instance for the media driver: reading every socket at every tick");
                None
            }
        };
        Driver {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            poll,
            events: mio::Events::with_capacity(EVENTS),
            batch: RecvBatch::new(RECV_BUF),
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes a new call; its sockets join the epoll instance.
    fn admit(&mut self, mut slot: Slot) {
        let key = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        if let Some(poll) = &self.poll {
            let reg = poll.registry();
            let ok = reg
                .register(
                    &mut mio::unix::SourceFd(&raw_fd(&slot.sockets.rtp)),
                    mio::Token(2 * key),
                    mio::Interest::READABLE,
                )
                .and_then(|()| {
                    reg.register(
                        &mut mio::unix::SourceFd(&raw_fd(&slot.sockets.udptl)),
                        mio::Token(2 * key + 1),
                        mio::Interest::READABLE,
                    )
                });
            match ok {
                Ok(()) => slot.polled = true,
                Err(e) => {
                    let _ = reg.deregister(&mut mio::unix::SourceFd(&raw_fd(&slot.sockets.rtp)));
                    tracing::warn!(error = %e, "media sockets not polled: read at every tick");
                }
            }
        }
        self.slots[key] = Some(slot);
        self.len += 1;
    }

    /// Marks the sockets that received something since the last call.
    fn poll_readiness(&mut self) {
        let Some(poll) = &mut self.poll else {
            return;
        };
        loop {
            if let Err(e) = poll.poll(&mut self.events, Some(Duration::ZERO)) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                // Treat every socket as readable this once.
                for slot in self.slots.iter_mut().flatten() {
                    slot.ready = [true, true];
                }
                return;
            }
            let mut n = 0;
            for ev in self.events.iter() {
                n += 1;
                let t = ev.token().0;
                if let Some(Some(slot)) = self.slots.get_mut(t / 2) {
                    slot.ready[t % 2] = true;
                }
            }
            if n < EVENTS {
                return;
            }
        }
    }

    /// One wake on grid instant `at`, the clock reading `now`: every call takes its commands,
    /// its datagrams and its due ticks, and sends its output; calls hung up are finished.
    fn serve(&mut self, at: Instant, now: Instant) {
        self.poll_readiness();
        for key in 0..self.slots.len() {
            let Some(slot) = self.slots[key].as_mut() else {
                continue;
            };
            // Entered by value (taken out and put back): no span clone per call per wake.
            let span = std::mem::replace(&mut slot.span, tracing::Span::none());
            let hung_up = span.in_scope(|| serve_one(slot, at, now, &mut self.batch));
            slot.span = span;
            if hung_up {
                if let Some(slot) = self.slots[key].take() {
                    self.release(slot, now);
                    self.free.push(key);
                    self.len -= 1;
                }
            }
        }
    }

    /// Finishes a call that was hung up: sessions closed, sockets closed, ports returned.
    fn release(&mut self, slot: Slot, now: Instant) {
        let Slot {
            call,
            sockets,
            done,
            epoch,
            polled,
            span,
            ..
        } = slot;
        let now = epoch.map_or(Duration::ZERO, |e| now.saturating_duration_since(e));
        if polled {
            if let Some(poll) = &self.poll {
                let reg = poll.registry();
                let _ = reg.deregister(&mut mio::unix::SourceFd(&raw_fd(&sockets.rtp)));
                let _ = reg.deregister(&mut mio::unix::SourceFd(&raw_fd(&sockets.udptl)));
            }
        }
        let MediaSockets { rtp, udptl, lease } = sockets;
        drop((rtp, udptl));
        drop::<PortLease>(lease);
        // Closing the sessions writes and syncs files (fax TIFF, recording): off the driver,
        // whose other calls must not wait for a disk, when there is a runtime (else here).
        let close: CloseJob = Box::new(move || {
            let outcome = span.in_scope(|| call.finish(now));
            let _ = done.send(outcome);
        });
        if tokio::runtime::Handle::try_current().is_err() {
            return close();
        }
        if let Err(std::sync::mpsc::SendError(close)) = closers().send(close) {
            close();
        }
    }
}

/// Closing one hung-up call's sessions.
type CloseJob = Box<dyn FnOnce() + Send>;

/// Threads that close hung-up calls' sessions (and run the gateway's other after-call disk
/// work, [`after_call`]).
const CLOSERS: usize = 8;
/// Their nice value: a burst of hang-ups (hundreds of recordings finalised and synced at once)
/// must not take the core from the media of the calls still running. One thread per close
/// (the blocking pool) stalled the drivers for seconds at 500 simultaneous hang-ups.
const CLOSER_NICE: i32 = 10;

/// The queue of the process's closer threads (started on first use). If none can be started,
/// the queue is closed and calls are closed on the driver.
fn closers() -> std::sync::mpsc::Sender<CloseJob> {
    static QUEUE: OnceLock<Mutex<std::sync::mpsc::Sender<CloseJob>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<CloseJob>();
            let rx = std::sync::Arc::new(Mutex::new(rx));
            for i in 0..CLOSERS {
                let rx = rx.clone();
                let _ = std::thread::Builder::new()
                    .name(format!("faxvox-close-{i}"))
                    .spawn(move || {
                        #[cfg(target_os = "linux")]
                        {
                            // Linux: the nice value is per thread. Best effort.
                            let _ = rustix::process::setpriority_process(None, CLOSER_NICE);
                        }
                        loop {
                            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            match job {
                                // A panicking job must not take the thread with it.
                                Ok(job) => {
                                    let _ =
                                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                                }
                                Err(_) => return,
                            }
                        }
                    });
            }
            Mutex::new(tx)
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Runs `f` (disk work after a call: commits, fsyncs) on the closer threads, below the media
/// drivers' priority, so hundreds of calls ending at once do not stall the calls still
/// running; on the blocking pool if the closer threads are gone. `None` if `f` panicked.
pub async fn after_call<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    let job: CloseJob = Box::new(move || {
        let _ = tx.send(f());
    });
    if let Err(std::sync::mpsc::SendError(job)) = closers().send(job) {
        tokio::task::spawn_blocking(job).await.ok()?;
    }
    rx.await.ok()
}

/// One call's share of a wake; returns whether it was hung up (to be finished).
fn serve_one(slot: &mut Slot, at: Instant, now: Instant, batch: &mut RecvBatch) -> bool {
    loop {
        match slot.commands.try_recv() {
            Ok(Command::Apply(media)) => {
                let epoch = *slot.epoch.get_or_insert(at);
                slot.call.apply(at.saturating_duration_since(epoch), *media);
            }
            Ok(Command::Hangup) | Err(mpsc::error::TryRecvError::Disconnected) => return true,
            Err(mpsc::error::TryRecvError::Empty) => break,
        }
    }
    if let Some(epoch) = slot.epoch {
        let t = now.saturating_duration_since(epoch);
        let mut read = false;
        for _ in 0..MAX_CATCH_UP {
            if slot.call.poll_timeout().is_none_or(|due| due > t) {
                break;
            }
            if !read {
                slot.receive(t, Stream::Rtp, batch);
                slot.receive(t, Stream::Udptl, batch);
                read = true;
            }
            slot.call.handle_tick(t);
            slot.flush();
        }
    }
    slot.flush();
    false
}

fn raw_fd(socket: &UdpSocket) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    socket.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::ports::PortPool;
    use crate::media::rtp::RtpPacket;
    use crate::sip::sdp::{Direction, NegotiatedAudio};
    use faxvox_codecs::g711::Law;
    use std::net::{IpAddr, Ipv4Addr};

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// A fax receiver's media (it sends a frame of RTP at every tick) and the peer socket its
    /// audio goes to.
    fn fax_call(name: &str, dir: &std::path::Path) -> (Slot, MediaHandle, UdpSocket) {
        let sockets = PortPool::ephemeral(LOCAL).bind().unwrap();
        let peer = UdpSocket::bind((LOCAL, 0)).unwrap();
        peer.set_nonblocking(true).unwrap();
        let role = MediaRole::ReceiveFax {
            folder: dir.to_path_buf(),
        };
        let (slot, handle, _events) =
            new_call(name.into(), sockets, role, MediaSettings::default());
        (slot, handle, peer)
    }

    fn audio_to(peer: &UdpSocket) -> NegotiatedMedia {
        NegotiatedMedia {
            audio: Some(NegotiatedAudio {
                remote: peer.local_addr().unwrap(),
                law: Law::Ulaw,
                payload_type: 0,
                receive_payload_type: 0,
                telephone_event: None,
                remote_ptime: None,
                direction: Direction::SendRecv,
            }),
            t38: None,
        }
    }

    /// The RTP (sequence, timestamp) pairs waiting on `peer`.
    fn received(peer: &UdpSocket) -> Vec<(u16, u32)> {
        let mut buf = [0u8; 2048];
        let mut got = Vec::new();
        while let Ok(n) = peer.recv(&mut buf) {
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            got.push((p.sequence, p.timestamp));
        }
        got
    }

    /// Lets loopback datagrams land before the driver looks.
    fn settle() {
        std::thread::sleep(Duration::from_millis(30));
    }

    #[test]
    fn one_driver_ticks_several_calls_on_the_shared_grid() {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = Driver::new();
        let mut calls: Vec<(MediaHandle, UdpSocket)> = Vec::new();
        for i in 0..3 {
            let (slot, handle, peer) = fax_call(&format!("grid-{i}"), dir.path());
            driver.admit(slot);
            calls.push((handle, peer));
        }
        // Calls 0 and 1 start at the first wake, call 2 at the third.
        calls[0].0.apply(audio_to(&calls[0].1));
        calls[1].0.apply(audio_to(&calls[1].1));
        let g0 = grid_ceil(Instant::now() + Duration::from_millis(1));
        for k in 0..5u32 {
            if k == 2 {
                calls[2].0.apply(audio_to(&calls[2].1));
            }
            let at = g0 + TICK * k;
            // The wake comes a little after its grid instant, as a timer does.
            driver.serve(at, at + Duration::from_millis(2));
        }
        settle();
        for (i, want) in [(0, 5usize), (1, 5), (2, 3)] {
            let got = received(&calls[i].1);
            assert_eq!(
                got.len(),
                want,
                "call {i}: one frame per wake since its start"
            );
            for w in got.windows(2) {
                assert_eq!(w[1].0, w[0].0.wrapping_add(1), "call {i}: {got:?}");
                assert_eq!(w[1].1, w[0].1.wrapping_add(160), "call {i}: {got:?}");
            }
        }
        // Every clock started on a grid instant: one wake serves every call's tick.
        let epochs: Vec<Instant> = driver
            .slots
            .iter()
            .flatten()
            .map(|s| s.epoch.unwrap())
            .collect();
        assert_eq!(epochs, vec![g0, g0, g0 + TICK * 2]);
        for e in &epochs {
            let since = e.duration_since(grid_origin()).as_nanos();
            assert_eq!(since % TICK.as_nanos(), 0);
        }
        for (h, _) in &calls {
            h.hangup();
        }
        driver.serve(g0 + TICK * 5, g0 + TICK * 5);
        assert!(driver.is_empty());
        for (mut h, _) in calls {
            let out = h
                .done
                .try_recv()
                .expect("finished at the wake after the hangup");
            assert!(out.error.is_none(), "{:?}", out.error);
        }
    }

    #[test]
    fn reads_are_capped_per_socket_and_the_rest_waits_for_the_next_wake() {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = Driver::new();
        let (a, mut ha, peer_a) = fax_call("flooded", dir.path());
        let (b, mut hb, peer_b) = fax_call("quiet", dir.path());
        let (rtp_a, rtp_b) = (
            a.sockets.rtp.local_addr().unwrap(),
            b.sockets.rtp.local_addr().unwrap(),
        );
        driver.admit(a);
        driver.admit(b);
        ha.apply(audio_to(&peer_a));
        hb.apply(audio_to(&peer_b));
        // Not RTP: each one is counted as garbage when read.
        let flood = MAX_READS * 3 + 10;
        for _ in 0..flood {
            peer_a.send_to(b"flood", rtp_a).unwrap();
        }
        for _ in 0..3 {
            peer_b.send_to(b"noise", rtp_b).unwrap();
        }
        settle();
        let g0 = grid_ceil(Instant::now() + Duration::from_millis(1));
        driver.serve(g0, g0);
        // The flooded call is hung up now: it finishes at the next wake without reading more.
        ha.hangup();
        driver.serve(g0 + TICK, g0 + TICK);
        let out_a = ha.done.try_recv().unwrap();
        assert_eq!(
            out_a.rtp.garbage, MAX_READS as u64,
            "one wake reads MAX_READS at most"
        );
        // The other call read its own datagrams at the first wake all the same.
        hb.hangup();
        driver.serve(g0 + TICK * 2, g0 + TICK * 2);
        let out_b = hb.done.try_recv().unwrap();
        assert_eq!(out_b.rtp.garbage, 3);
        assert!(driver.is_empty());

        // A flood is read over several wakes, none lost.
        let (c, mut hc, peer_c) = fax_call("drained", dir.path());
        let rtp_c = c.sockets.rtp.local_addr().unwrap();
        driver.admit(c);
        hc.apply(audio_to(&peer_c));
        for _ in 0..flood {
            peer_c.send_to(b"flood", rtp_c).unwrap();
        }
        settle();
        let g1 = grid_ceil(Instant::now() + Duration::from_millis(1));
        for k in 0..4u32 {
            driver.serve(g1 + TICK * k, g1 + TICK * k);
        }
        hc.hangup();
        driver.serve(g1 + TICK * 4, g1 + TICK * 4);
        assert_eq!(hc.done.try_recv().unwrap().rtp.garbage, flood as u64);
    }

    #[test]
    fn a_dropped_handle_finishes_the_call() {
        let dir = tempfile::tempdir().unwrap();
        let mut driver = Driver::new();
        let (slot, handle, peer) = fax_call("dropped", dir.path());
        driver.admit(slot);
        handle.apply(audio_to(&peer));
        let g0 = grid_ceil(Instant::now());
        driver.serve(g0, g0);
        let MediaHandle { commands, done, .. } = handle;
        drop(commands);
        driver.serve(g0 + TICK, g0 + TICK);
        assert!(driver.is_empty());
        let mut done = done;
        assert!(done.try_recv().is_ok(), "the outcome was produced");
    }

    #[tokio::test]
    async fn handles_on_a_runtime_share_its_drivers() {
        let dir = tempfile::tempdir().unwrap();
        let peer = UdpSocket::bind((LOCAL, 0)).unwrap();
        let mut handles = Vec::new();
        for i in 0..4 {
            let sockets = PortPool::ephemeral(LOCAL).bind().unwrap();
            let role = MediaRole::ReceiveFax {
                folder: dir.path().to_path_buf(),
            };
            let (h, _ev) =
                MediaHandle::spawn(format!("rt-{i}"), sockets, role, MediaSettings::default());
            h.apply(audio_to(&peer));
            handles.push(h);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        {
            let pools = pools().lock().unwrap();
            let pool = &pools[&tokio::runtime::Handle::current().id()];
            assert_eq!(
                pool.drivers.len(),
                1,
                "one driver per worker of a current-thread runtime"
            );
        }
        for h in handles {
            let out = h.finish().await;
            assert!(out.rtp.packets_sent >= 3, "{:?}", out.rtp);
        }
    }
}
