//! [`PortPool`]: the RTP and UDPTL ports of the calls in progress.
//!
//! Every call needs two UDP sockets on the media address: RTP (audio) and UDPTL (T.38), so a
//! re-INVITE to T.38 never has to find a port mid-call. Both are **even** ports taken from the
//! configured range (`sip.rtp_ports`, e.g. `20000-29999`); the odd port above each stays
//! unbound, so a peer that sends RTCP to "RTP port + 1" does not land on our UDPTL socket.
//! That gives a range of N ports room for N/4 calls (2500 for the default range).
//!
//! Allocation is a round-robin cursor over a bitmap of even slots: a freed port is reused last,
//! which keeps late packets of an old call away from a new one, and finding a free slot costs
//! O(1) amortised while the pool is not nearly full. A port that another process holds is
//! skipped (the bind fails and the next slot is tried). Ports go back to the pool when the
//! [`MediaSockets`] (or the [`PortLease`] split off it) is dropped.
//!
//! A range of `0-0` (or [`PortPool::ephemeral`]) binds OS-chosen ports instead: for tests.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

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
    state: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    used: Vec<bool>,
    cursor: usize,
    in_use: usize,
}

impl PortPool {
    /// A pool over the even ports of `range` on `ip`. An empty range, or `0..=0`, means
    /// OS-chosen ephemeral ports.
    pub fn new(ip: IpAddr, range: RangeInclusive<u16>) -> PortPool {
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
                state: Mutex::new(Slots {
                    used: vec![false; slots],
                    cursor: 0,
                    in_use: 0,
                }),
            }),
        }
    }

    /// A pool that binds OS-chosen ports on `ip` (tests, or no configured range).
    pub fn ephemeral(ip: IpAddr) -> PortPool {
        PortPool {
            inner: Arc::new(Inner {
                ip,
                base: None,
                state: Mutex::new(Slots {
                    used: Vec::new(),
                    cursor: 0,
                    in_use: 0,
                }),
            }),
        }
    }

    /// The media IP the sockets are bound to.
    pub fn ip(&self) -> IpAddr {
        self.inner.ip
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic while holding this lock leaves the bitmap consistent (no partial updates).
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds an RTP and a UDPTL socket (both non-blocking) on two even ports of the range.
    /// Fails with `AddrNotAvailable` when the range is exhausted.
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

    /// Takes the next free slot that binds; records it in `slot`.
    fn bind_slot(&self, base: u16, slot: &mut Option<usize>) -> io::Result<UdpSocket> {
        let mut last_err = None;
        // Every slot may be tried once; ports held by other processes are skipped.
        let total = self.lock().used.len();
        for _ in 0..total {
            let Some(i) = self.reserve() else {
                break;
            };
            let port = base + 2 * i as u16;
            match bind_udp(SocketAddr::new(self.inner.ip, port)) {
                Ok(sock) => {
                    *slot = Some(i);
                    return Ok(sock);
                }
                Err(e) => {
                    self.release(i);
                    if e.kind() != io::ErrorKind::AddrInUse {
                        return Err(e);
                    }
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "media port range exhausted",
            )
        }))
    }

    /// Marks the next free slot from the cursor as used.
    fn reserve(&self) -> Option<usize> {
        let mut s = self.lock();
        let n = s.used.len();
        if s.in_use >= n {
            return None;
        }
        let start = s.cursor;
        for k in 0..n {
            let i = (start + k) % n;
            if !s.used[i] {
                s.used[i] = true;
                s.in_use += 1;
                s.cursor = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }

    fn release(&self, i: usize) {
        let mut s = self.lock();
        if s.used.get(i).copied().unwrap_or(false) {
            s.used[i] = false;
            s.in_use -= 1;
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

    const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// An even-aligned range of `ports` ports above the ephemeral range is unlikely to be busy,
    /// but the tests only rely on ports being skipped, never on a particular one being free.
    fn pool(lo: u16, hi: u16) -> PortPool {
        PortPool::new(LOCAL, lo..=hi)
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
    fn freed_ports_are_reused_last() {
        let p = pool(31200, 31219); // 10 slots
        let a = p.bind().unwrap();
        let first = a.rtp_addr().port();
        drop(a);
        let b = p.bind().unwrap();
        assert_ne!(b.rtp_addr().port(), first, "round robin moves on");
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
