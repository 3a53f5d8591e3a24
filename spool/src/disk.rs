//! Disk guard: refuse new work above a high-water mark rather than accept a
//! message that cannot be stored.

use std::io;
use std::path::Path;

/// Size and free space of a filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskUsage {
    /// Filesystem size in bytes.
    pub total_bytes: u64,
    /// Bytes in use (size minus free blocks).
    pub used_bytes: u64,
    /// Bytes an unprivileged writer can still use.
    pub available_bytes: u64,
}

impl DiskUsage {
    /// Fraction used, 0.0–1.0, the way `df` computes "Use%": used / (used + available).
    /// Blocks reserved for root are left out of both sides, so the figure matches what an
    /// admin sees and reaches 100 % exactly when an unprivileged writer can write nothing.
    pub fn used_fraction(&self) -> f64 {
        let denominator = self.used_bytes as f64 + self.available_bytes as f64;
        if denominator == 0.0 {
            return 1.0;
        }
        self.used_bytes as f64 / denominator
    }

    /// A usage of `fraction` (0.0–1.0) of a 1 GB disk: for tests and simulations.
    pub fn simulated(fraction: f64) -> DiskUsage {
        let total = 1_000_000_000u64;
        let used = (fraction.clamp(0.0, 1.0) * total as f64).round() as u64;
        DiskUsage {
            total_bytes: total,
            used_bytes: used,
            available_bytes: total - used,
        }
    }
}

/// Where the spool learns how full its filesystem is. Injectable so tests (and
/// an operator's own quota logic) can replace statvfs.
pub trait DiskUsageSource: Send + Sync {
    /// Usage of the filesystem holding `path`.
    fn usage(&self, path: &Path) -> io::Result<DiskUsage>;
}

/// Any `Fn(&Path) -> io::Result<DiskUsage>` closure is a usage source.
impl<F> DiskUsageSource for F
where
    F: Fn(&Path) -> io::Result<DiskUsage> + Send + Sync,
{
    fn usage(&self, path: &Path) -> io::Result<DiskUsage> {
        self(path)
    }
}

/// The real source: `statvfs(2)` on the spool root.
#[derive(Clone, Copy, Debug, Default)]
pub struct Statvfs;

impl DiskUsageSource for Statvfs {
    fn usage(&self, path: &Path) -> io::Result<DiskUsage> {
        let st = rustix::fs::statvfs(path)?;
        let frsize = if st.f_frsize != 0 {
            st.f_frsize
        } else {
            st.f_bsize
        };
        let blocks = st.f_blocks;
        Ok(DiskUsage {
            total_bytes: blocks.saturating_mul(frsize),
            used_bytes: blocks.saturating_sub(st.f_bfree).saturating_mul(frsize),
            available_bytes: st.f_bavail.saturating_mul(frsize),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statvfs_reads_something() {
        let u = Statvfs.usage(Path::new("/")).unwrap();
        assert!(u.total_bytes > 0);
        let f = u.used_fraction();
        assert!((0.0..=1.0).contains(&f), "{f}");
        assert!(Statvfs.usage(Path::new("/no/such/dir/x")).is_err());
        // Root-reserved space counts on neither side, as in df.
        let reserved = DiskUsage {
            total_bytes: 100,
            used_bytes: 45,
            available_bytes: 5,
        };
        assert!((reserved.used_fraction() - 0.9).abs() < 1e-9);
    }

    #[test]
    fn simulated_fractions() {
        assert!((DiskUsage::simulated(0.91).used_fraction() - 0.91).abs() < 1e-9);
        assert_eq!(DiskUsage::simulated(2.0).used_fraction(), 1.0);
    }
}
