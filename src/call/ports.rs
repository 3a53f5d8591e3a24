//! [`PortPool`]: the RTP and UDPTL ports of the calls in progress.
//!
//! Every call needs two UDP sockets on the media address: RTP (audio) and UDPTL (T.38), so a
//! re-INVITE to T.38 never has to find a port mid-call. Both are **even** ports taken from the
//! configured range (`sip.rtp_ports`, e.g. `20000-29999`); the odd port above each stays
//! unbound, so a peer that sends RTCP to "RTP port + 1" does not land on our UDPTL socket.
//! That gives a range of N ports room for N/4 calls (2500 for the default range).
//!
//! Ports are **drawn at random** from the free slots, so a port number tells an outsider
//! nothing about the next call's, and a freed port **rests** ([`DEFAULT_REST`], configurable
//! with `sip.rtp_port_rest_secs`) before it can be handed out again, so late packets of an old
//! call never reach a new one. The gateway and the outbound dialer of one `faxvox serve` share
//! one pool (it is cheap to clone), so neither hands out a port the other holds or just freed.
//! A port that another process holds is skipped (the bind fails and it rests like a freed
//! one). When only resting ports are left the pool is exhausted (the call gets 503). Ports go
//! back to the pool when the [`MediaSockets`] (or the [`PortLease`] split off it) is dropped.
//!
//! A range of `0-0` (or [`PortPool::ephemeral`]) binds OS-chosen ports instead: for tests.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How long a freed port rests before it is handed out again, by default.
pub const DEFAULT_REST: Duration = Duration::from_secs(30);

/// Hands out RTP + UDPTL socket pairs on one IP. Cheap to clone (shared state).
#[derive(Clone, Debug)]
pub struct PortPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ip: IpAddr,
    /// First even port of the range; slot i is port `base + 2 i`. `None`: ephemeral ports.
    base: Option<u16>,
    /// How long a freed slot rests.
    rest: Duration,
    state: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    /// Slots handed out (or being bound).
    used: Vec<bool>,
    /// Slots that may be handed out now, in no particular order.
    free: Vec<usize>,
    /// Freed slots with the time they may be handed out again, oldest first.
    resting: VecDeque<(Instant, usize)>,
    in_use: usize,
    rng: SmallRng,
}

impl Slots {
    fn new(slots: usize, rng: SmallRng) -> Slots {
        Slots {
            used: vec![false; slots],
            free: (0..slots).collect(),
            resting: VecDeque::new(),
            in_use: 0,
            rng,
        }
    }

    /// Slots whose rest is over become free.
    fn wake(&mut self, now: Instant) {
        while self.resting.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, i)) = self.resting.pop_front() {
                self.free.push(i);
            }
        }
    }
}

impl PortPool {
    /// A pool over the even ports of `range` on `ip`, whose freed ports rest
    /// [`DEFAULT_REST`]. An empty range, or `0..=0`, means OS-chosen ephemeral ports.
    pub fn new(ip: IpAddr, range: RangeInclusive<u16>) -> PortPool {
        PortPool::with_rest(ip, range, DEFAULT_REST)
    }

    /// Like [`PortPool::new`], with freed ports resting `rest` before they are reused.
    pub fn with_rest(ip: IpAddr, range: RangeInclusive<u16>, rest: Duration) -> PortPool {
        PortPool::build(ip, range, rest, SmallRng::from_os_rng())
    }

    /// Like [`PortPool::with_rest`], drawing ports from a seeded generator (tests).
    pub fn with_seed(
        ip: IpAddr,
        range: RangeInclusive<u16>,
        rest: Duration,
        seed: u64,
    ) -> PortPool {
        PortPool::build(ip, range, rest, SmallRng::seed_from_u64(seed))
    }

    fn build(ip: IpAddr, range: RangeInclusive<u16>, rest: Duration, rng: SmallRng) -> PortPool {
        let (lo, hi) = (*range.start(), *range.end());
        if lo == 0 && hi == 0 || lo > hi {
            return PortPool::ephemeral(ip);
        }
        let first = lo.max(2).next_multiple_of(2);
        let slots = if first > hi {
            0
        } else {
            usize::from((hi - first) / 2) + 1
        };
        PortPool {
            inner: Arc::new(Inner {
                ip,
                base: Some(first),
                rest,
                state: Mutex::new(Slots::new(slots, rng)),
            }),
        }
    }

    /// A pool that binds OS-chosen ports on `ip` (tests, or no configured range).
    pub fn ephemeral(ip: IpAddr) -> PortPool {
        PortPool {
            inner: Arc::new(Inner {
                ip,
                base: None,
                rest: Duration::ZERO,
                state: Mutex::new(Slots::new(0, SmallRng::seed_from_u64(0))),
            }),
        }
    }

    /// The media IP the sockets are bound to.
    pub fn ip(&self) -> IpAddr {
        self.inner.ip
    }

    /// How long a freed port rests before it is handed out again.
    pub fn rest(&self) -> Duration {
        self.inner.rest
    }

    /// How many calls' worth of port pairs the range holds (`None`: ephemeral, unbounded).
    pub fn capacity(&self) -> Option<usize> {
        self.inner.base?;
        Some(self.lock().used.len() / 2)
    }

    /// Ports currently handed out (0 for an ephemeral pool).
    pub fn in_use(&self) -> usize {
        self.lock().in_use
    }

    /// Freed ports still resting (0 for an ephemeral pool).
    pub fn resting(&self) -> usize {
        let mut s = self.lock();
        s.wake(Instant::now());
        s.resting.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic while holding this lock leaves the slots consistent (no partial updates).
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds an RTP and a UDPTL socket (both non-blocking) on two even ports of the range,
    /// drawn at random among those neither in use nor resting. Fails with
    /// `AddrNotAvailable` when none is left.
    pub fn bind(&self) -> io::Result<MediaSockets> {
        let Some(base) = self.inner.base else {
            let rtp = bind_udp(SocketAddr::new(self.inner.ip, 0))?;
            let udptl = bind_udp(SocketAddr::new(self.inner.ip, 0))?;
            return Ok(MediaSockets {
                rtp,
                udptl,
                lease: PortLease {
                    pool: None,
                    slots: [None, None],
                },
            });
        };
        let mut lease = PortLease {
            pool: Some(self.clone()),
            slots: [None, None],
        };
        let rtp = self.bind_slot(base, &mut lease.slots[0])?;
        let udptl = self.bind_slot(base, &mut lease.slots[1])?;
        Ok(MediaSockets { rtp, udptl, lease })
    }

    /// Takes a random free slot that binds; records it in `slot`.
    fn bind_slot(&self, base: u16, slot: &mut Option<usize>) -> io::Result<UdpSocket> {
        let mut last_err = None;
        // Every free slot is tried once: a slot whose port another process holds stays
        // reserved until the search ends, so the random pick cannot draw it again and miss a
        // free one.
        let mut busy = Vec::new();
        let found = loop {
            let Some(i) = self.reserve() else {
                break None;
            };
            let port = base + 2 * i as u16;
            match bind_udp(SocketAddr::new(self.inner.ip, port)) {
                Ok(sock) => {
                    *slot = Some(i);
                    break Some(Ok(sock));
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                    busy.push(i);
                    last_err = Some(e);
                }
                Err(e) => {
                    busy.push(i);
                    break Some(Err(e));
                }
            }
        };
        for i in busy {
            self.release(i);
        }
        found.unwrap_or_else(|| {
            Err(last_err.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    "media port range exhausted (ports in use or resting)",
                )
            }))
        })
    }

    /// Marks a random free slot as used.
    fn reserve(&self) -> Option<usize> {
        let mut s = self.lock();
        s.wake(Instant::now());
        if s.free.is_empty() {
            return None;
        }
        let n = s.free.len();
        let k = s.rng.random_range(0..n);
        let i = s.free.swap_remove(k);
        s.used[i] = true;
        s.in_use += 1;
        Some(i)
    }

    /// A slot is given back: it rests before it can be drawn again.
    fn release(&self, i: usize) {
        let mut s = self.lock();
        if s.used.get(i).copied().unwrap_or(false) {
            s.used[i] = false;
            s.in_use -= 1;
            if self.inner.rest.is_zero() {
                s.free.push(i);
            } else {
                let at = Instant::now() + self.inner.rest;
                s.resting.push_back((at, i));
            }
        }
    }
}

fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let sock = UdpSocket::bind(addr)?;
    sock.set_nonblocking(true)?;
    Ok(sock)
}

/// The two ports of one call; returns them to the pool on drop. Keep it alive until the
/// sockets are closed (the media task does).
#[derive(Debug)]
pub struct PortLease {
    pool: Option<PortPool>,
    slots: [Option<usize>; 2],
}

impl Drop for PortLease {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            for i in self.slots.iter().flatten() {
                pool.release(*i);
            }
        }
    }
}

/// One call's media sockets (non-blocking std sockets; the media task registers them with
/// tokio).
#[derive(Debug)]
pub struct MediaSockets {
    /// Audio (RTP, G.711 and RFC 4733 events).
    pub rtp: UdpSocket,
    /// T.38 (UDPTL).
    pub udptl: UdpSocket,
    /// The pool reservation of both ports.
    pub lease: PortLease,
}

impl MediaSockets {
    /// The bound RTP address (put it in the SDP `m=audio` line).
    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0))
    }

    /// The bound UDPTL address (put it in the SDP `m=image` line).
    pub fn udptl_addr(&self) -> SocketAddr {
        self.udptl
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Instant;

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// An even-aligned range of `ports` ports above the ephemeral range is unlikely to be busy,
    /// but the tests only rely on ports being skipped, never on a particular one being free.
    /// Freed ports come back at once (the rest has tests of its own).
    fn pool(lo: u16, hi: u16) -> PortPool {
        PortPool::with_rest(LOCAL, lo..=hi, Duration::ZERO)
    }

    /// The RTP ports of `n` calls drawn one after the other (each call's ports freed before
    /// the next, as calls that end quickly).
    fn draws(p: &PortPool, n: usize) -> Vec<u16> {
        (0..n)
            .map(|_| p.bind().unwrap().rtp_addr().port())
            .collect()
    }

    #[test]
    fn binds_even_ports_in_range_and_returns_them() {
        let p = pool(31000, 31011); // even ports 31000..31010: 6 slots, 3 calls
        assert_eq!(p.capacity(), Some(3));
        let a = p.bind().unwrap();
        let b = p.bind().unwrap();
        for s in [&a, &b] {
            for addr in [s.rtp_addr(), s.udptl_addr()] {
                assert_eq!(addr.ip(), LOCAL);
                assert_eq!(addr.port() % 2, 0, "{addr}");
                assert!((31000..=31011).contains(&addr.port()), "{addr}");
            }
            assert_ne!(s.rtp_addr(), s.udptl_addr());
        }
        assert_ne!(a.rtp_addr(), b.rtp_addr());
        assert_eq!(p.in_use(), 4);
        drop(a);
        assert_eq!(p.in_use(), 2);
        drop(b);
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn exhaustion_is_an_error_and_busy_ports_are_skipped() {
        // 4 slots: 2 calls. Another process holds the first even port.
        let p = pool(31100, 31107);
        let squatter = UdpSocket::bind((LOCAL, 31100));
        let a = p.bind().unwrap();
        if squatter.is_ok() {
            assert_ne!(a.rtp_addr().port(), 31100);
            // Only 3 slots usable: the second call cannot get two.
            let err = p.bind().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        }
        drop(a);
        drop(squatter);
        let b = p.bind().unwrap();
        let c = p.bind().unwrap();
        assert_eq!(
            p.bind().unwrap_err().kind(),
            io::ErrorKind::AddrNotAvailable
        );
        drop((b, c));
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn ports_are_drawn_at_random() {
        // 200 slots. Round robin gave 31400, 31404, 31408…: every next port adjacent.
        let (a, b) = (
            PortPool::with_seed(LOCAL, 31400..=31799, Duration::ZERO, 1),
            PortPool::with_seed(LOCAL, 31400..=31799, Duration::ZERO, 2),
        );
        let (da, db) = (draws(&a, 20), draws(&b, 20));
        assert_ne!(da, db, "two pools draw different sequences");
        // Two OS-seeded pools, too.
        let (c, d) = (
            PortPool::with_rest(LOCAL, 31400..=31799, Duration::ZERO),
            PortPool::with_rest(LOCAL, 31400..=31799, Duration::ZERO),
        );
        assert_ne!(draws(&c, 20), draws(&d, 20));
        // Held at once: a call's RTP and UDPTL ports and the next call's are rarely neighbours.
        let held: Vec<MediaSockets> = (0..20).map(|_| a.bind().unwrap()).collect();
        let ports: Vec<u16> = held
            .iter()
            .flat_map(|s| [s.rtp_addr().port(), s.udptl_addr().port()])
            .collect();
        let adjacent = ports
            .windows(2)
            .filter(|w| w[0].abs_diff(w[1]) == 2)
            .count();
        assert!(
            adjacent <= 5,
            "{adjacent} of 39 consecutive draws adjacent: {ports:?}"
        );
        let mut sorted = ports.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 40, "no port handed out twice");
    }

    #[test]
    fn a_freed_port_rests_before_it_is_reused() {
        // 4 slots: 2 calls. Freed ports rest 400 ms.
        let rest = Duration::from_millis(400);
        let p = PortPool::with_rest(LOCAL, 31900..=31907, rest);
        assert_eq!(p.rest(), rest);
        let a = p.bind().unwrap();
        let freed = [a.rtp_addr().port(), a.udptl_addr().port()];
        let t0 = Instant::now();
        drop(a);
        assert_eq!(p.resting(), 2);
        // The other two ports are free: the next call gets them, never the resting ones.
        let b = p.bind().unwrap();
        for port in [b.rtp_addr().port(), b.udptl_addr().port()] {
            assert!(!freed.contains(&port), "{port} reused while resting");
        }
        // Only resting ports left: exhausted (the call gets 503).
        let err = p.bind().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(
            t0.elapsed() < rest,
            "the test ran too slowly to prove anything"
        );
        std::thread::sleep(rest);
        let c = p.bind().unwrap();
        let mut got = [c.rtp_addr().port(), c.udptl_addr().port()];
        got.sort();
        let mut want = freed;
        want.sort();
        assert_eq!(got, want, "rested ports are handed out again");
        drop((b, c));
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn the_default_rest_is_thirty_seconds() {
        let p = PortPool::new(LOCAL, 31950..=31953);
        assert_eq!(p.rest(), DEFAULT_REST);
        assert_eq!(DEFAULT_REST, Duration::from_secs(30));
        let a = p.bind().unwrap();
        drop(a);
        assert_eq!(
            p.bind().unwrap_err().kind(),
            io::ErrorKind::AddrNotAvailable
        );
    }

    #[test]
    fn clones_share_the_pool() {
        // The gateway and the dialer hold clones: ports held by one are not the other's.
        let gateway = PortPool::with_rest(LOCAL, 31960..=31967, Duration::from_secs(30));
        let dialer = gateway.clone();
        let a = gateway.bind().unwrap();
        let b = dialer.bind().unwrap();
        let mut ports = vec![
            a.rtp_addr().port(),
            a.udptl_addr().port(),
            b.rtp_addr().port(),
            b.udptl_addr().port(),
        ];
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), 4);
        assert_eq!(gateway.in_use(), 4);
        drop(a);
        // The gateway's freed ports rest for the dialer too.
        assert_eq!(
            dialer.bind().unwrap_err().kind(),
            io::ErrorKind::AddrNotAvailable
        );
        drop(b);
    }

    #[test]
    fn zero_range_means_ephemeral() {
        let p = PortPool::new(LOCAL, 0..=0);
        assert_eq!(p.capacity(), None);
        let a = p.bind().unwrap();
        assert_ne!(a.rtp_addr().port(), 0);
        assert_ne!(a.udptl_addr().port(), 0);
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn odd_bounds_are_handled() {
        let p = pool(31301, 31305); // even ports 31302, 31304
        assert_eq!(p.capacity(), Some(1));
        let a = p.bind().unwrap();
        let mut ports = [a.rtp_addr().port(), a.udptl_addr().port()];
        ports.sort();
        assert_eq!(ports, [31302, 31304]);
    }
}
