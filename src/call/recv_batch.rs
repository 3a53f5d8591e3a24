//! [`RecvBatch`]: up to [`BATCH`] datagrams from one UDP socket in one `recvmmsg` syscall.
//!
//! A media socket gets about one datagram per 20 ms tick. Read with `recv_from`, that is two
//! syscalls (the datagram, then `EAGAIN` to learn the queue is empty); `recvmmsg` with
//! `MSG_DONTWAIT` returns what is queued at once, and fewer than asked means the queue is
//! drained. Linux only; elsewhere (and if `recvmmsg` is refused) it reads with `recv_from`.

use std::io;
use std::net::{SocketAddr, UdpSocket};

/// Datagrams read per call, at most.
pub const BATCH: usize = 64;

/// Reused buffers for [`RecvBatch::recv`].
pub struct RecvBatch {
    bufs: Vec<u8>,
    size: usize,
    lens: [usize; BATCH],
    srcs: [Option<SocketAddr>; BATCH],
    #[cfg(target_os = "linux")]
    sys: sys::Headers,
}

impl RecvBatch {
    /// Buffers for [`BATCH`] datagrams of `size` bytes each (longer ones are truncated).
    pub fn new(size: usize) -> RecvBatch {
        RecvBatch {
            bufs: vec![0u8; size * BATCH],
            size,
            lens: [0; BATCH],
            srcs: [None; BATCH],
            #[cfg(target_os = "linux")]
            sys: sys::Headers::new(),
        }
    }

    /// Reads up to `max` (at most [`BATCH`]) queued datagrams without blocking; returns how
    /// many (`WouldBlock` when none was queued). Fewer than `max` means the queue is empty.
    pub fn recv(&mut self, socket: &UdpSocket, max: usize) -> io::Result<usize> {
        let max = max.clamp(1, BATCH);
        #[cfg(target_os = "linux")]
        {
            match sys::recvmmsg(socket, &mut self.bufs, self.size, max, &mut self.sys) {
                Ok(n) => {
                    for i in 0..n {
                        let (len, src) = self.sys.result(i);
                        self.lens[i] = len.min(self.size);
                        self.srcs[i] = src;
                    }
                    return Ok(n);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {}
                Err(e) => return Err(e),
            }
        }
        self.recv_each(socket, max)
    }

    /// The portable way: `recv_from` until `max` or `WouldBlock`.
    fn recv_each(&mut self, socket: &UdpSocket, max: usize) -> io::Result<usize> {
        let mut n = 0;
        while n < max {
            let buf = &mut self.bufs[n * self.size..(n + 1) * self.size];
            match socket.recv_from(buf) {
                Ok((len, src)) => {
                    self.lens[n] = len;
                    self.srcs[n] = Some(src);
                    n += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && n > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Datagram `i` of the last [`recv`](Self::recv) and where it came from (`None`: an
    /// address family other than IPv4/IPv6).
    pub fn get(&self, i: usize) -> (&[u8], Option<SocketAddr>) {
        let start = i * self.size;
        (&self.bufs[start..start + self.lens[i]], self.srcs[i])
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys {
    //! The `recvmmsg` call. The headers point into the caller's buffers only for the duration
    //! of the syscall: they are rebuilt before every call, so nothing dangles when the
    //! buffers move.
    use std::io;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;

    use super::BATCH;

    pub struct Headers {
        msgs: Vec<libc::mmsghdr>,
        iovs: Vec<libc::iovec>,
        addrs: Vec<libc::sockaddr_storage>,
    }

    // The raw pointers in the headers are only set and used inside `recvmmsg`.
    unsafe impl Send for Headers {}

    impl Headers {
        pub fn new() -> Headers {
            // SAFETY: all-zero is a valid value of these plain C structs.
            let zero_msg: libc::mmsghdr = unsafe { std::mem::zeroed() };
            let zero_addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            Headers {
                msgs: vec![zero_msg; BATCH],
                iovs: vec![
                    libc::iovec {
                        iov_base: std::ptr::null_mut(),
                        iov_len: 0,
                    };
                    BATCH
                ],
                addrs: vec![zero_addr; BATCH],
            }
        }

        /// Length and source of message `i` after a successful call.
        pub fn result(&self, i: usize) -> (usize, Option<SocketAddr>) {
            let m = &self.msgs[i];
            (
                m.msg_len as usize,
                to_socket_addr(&self.addrs[i], m.msg_hdr.msg_namelen),
            )
        }
    }

    pub fn recvmmsg(
        socket: &UdpSocket,
        bufs: &mut [u8],
        size: usize,
        max: usize,
        h: &mut Headers,
    ) -> io::Result<usize> {
        let max = max.min(BATCH).min(bufs.len() / size.max(1));
        let base = bufs.as_mut_ptr();
        for i in 0..max {
            h.iovs[i] = libc::iovec {
                // SAFETY: i * size + size <= bufs.len(), checked by `max` above.
                iov_base: unsafe { base.add(i * size) }.cast(),
                iov_len: size,
            };
            let hdr = &mut h.msgs[i].msg_hdr;
            hdr.msg_name = (&mut h.addrs[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdr.msg_iov = &mut h.iovs[i];
            hdr.msg_iovlen = 1;
            hdr.msg_control = std::ptr::null_mut();
            hdr.msg_controllen = 0;
            hdr.msg_flags = 0;
            h.msgs[i].msg_len = 0;
        }
        loop {
            // SAFETY: `msgs[..max]` are initialised headers whose name and iovec pointers
            // point into `h.addrs`, `h.iovs` and `bufs`, all alive and not otherwise borrowed
            // during the call; each iovec covers `size` bytes inside `bufs`.
            let n = unsafe {
                libc::recvmmsg(
                    socket.as_raw_fd(),
                    h.msgs.as_mut_ptr(),
                    max as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    fn to_socket_addr(a: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
        let len = len as usize;
        match libc::c_int::from(a.ss_family) {
            libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
                // SAFETY: the family says the storage holds a sockaddr_in.
                let sin: &libc::sockaddr_in = unsafe { &*(a as *const _ as *const _) };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
                // SAFETY: the family says the storage holds a sockaddr_in6.
                let sin6: &libc::sockaddr_in6 = unsafe { &*(a as *const _ as *const _) };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}
