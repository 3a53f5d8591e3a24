//! The input file of a conversion command, mapped into memory read-only rather than copied
//! (as libtiff's tools do): reading a 1 MB fax into a fresh buffer costs more page faults and
//! copying than converting it. Falls back to reading when the file cannot be mapped.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

/// The bytes of an input file.
pub(crate) enum Input {
    #[cfg(target_os = "linux")]
    Mapped(sys::Map),
    Read(Vec<u8>),
}

impl Input {
    /// Maps `path` (read-only, private), or reads it when it is empty or cannot be mapped.
    pub(crate) fn open(path: &Path) -> io::Result<Input> {
        let file = File::open(path)?;
        #[cfg(target_os = "linux")]
        {
            let meta = file.metadata()?;
            let len = usize::try_from(meta.len()).unwrap_or(0);
            if meta.is_file() && len > 0 {
                if let Some(map) = sys::Map::new(&file, len) {
                    return Ok(Input::Mapped(map));
                }
            }
        }
        let mut data = Vec::new();
        io::Read::read_to_end(&mut &file, &mut data)?;
        Ok(Input::Read(data))
    }
}

impl Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            #[cfg(target_os = "linux")]
            Input::Mapped(m) => m.bytes(),
            Input::Read(v) => v,
        }
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys {
    //! `mmap`/`munmap`. The mapping is private and read-only and lives as long as the `Map`.
    //! Another process truncating the file meanwhile makes the reads fault (SIGBUS), as with
    //! libtiff's tools; the conversions bound-check every offset they read, so bytes changed
    //! underneath give a wrong page, never an out-of-bounds read. For offline commands on a
    //! file at hand only; the gateway reads its files.
    use std::fs::File;
    use std::os::fd::AsRawFd;

    pub struct Map {
        ptr: *mut libc::c_void,
        len: usize,
    }

    impl Map {
        pub fn new(file: &File, len: usize) -> Option<Map> {
            // SAFETY: a fresh mapping chosen by the kernel (no fixed address), of a file
            // descriptor that is open for the duration of the call.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_POPULATE,
                    file.as_raw_fd(),
                    0,
                )
            };
            (ptr != libc::MAP_FAILED).then_some(Map { ptr, len })
        }

        pub fn bytes(&self) -> &[u8] {
            // SAFETY: `ptr` maps `len` readable bytes until `drop`, and nothing in this
            // process writes to them (PROT_READ).
            unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
        }
    }

    impl Drop for Map {
        fn drop(&mut self) {
            // SAFETY: the mapping made in `new`, unmapped once; no slice of it outlives
            // `self` (`bytes` borrows it).
            unsafe { libc::munmap(self.ptr, self.len) };
        }
    }
}
