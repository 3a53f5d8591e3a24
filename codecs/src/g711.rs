//! G.711 µ-law and A-law companding (ITU-T G.711), bit-exact with spandsp's `g711.h`.
//!
//! Telephone audio travels as 8-bit G.711 codewords (RTP payload type 0 = PCMU, 8 = PCMA) while
//! everything else in faxvox (tones, greetings, recordings) works on 16-bit linear samples at
//! 8 kHz. Decoding uses 256-entry tables built at compile time; encoding uses the standard
//! segment algorithm (one `leading_zeros` per sample, no table lookups, no branches on data
//! beyond the sign), which is as fast as a 64 KiB table without the cache footprint.
//!
//! The codewords are the transmitted (complemented / AMI-inverted) octets, exactly as they appear
//! in an RTP payload or a G.711 WAV file.

/// Bias added to the magnitude before µ-law segment search (33 on the 14-bit scale, ×4).
const ULAW_BIAS: i32 = 0x84;
/// A-law "alternate mark inversion" mask applied to every transmitted octet.
const ALAW_AMI_MASK: u8 = 0x55;

/// The µ-law codeword for digital silence (linear 0).
pub const ULAW_SILENCE: u8 = 0xFF;
/// The A-law codeword for digital silence (linear 0 encodes as +8, the smallest step).
pub const ALAW_SILENCE: u8 = 0xD5;

/// Which G.711 companding law a stream uses; chosen from the SDP answer (PCMU or PCMA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (PCMU, RTP static payload type 0): North America and Japan.
    Ulaw,
    /// A-law (PCMA, RTP static payload type 8): the rest of the world.
    Alaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551) for this law, so SDP/RTP code need not hard-code it.
    pub const fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// Maps a static RTP payload type back to a law; `None` for anything that is not PCMU/PCMA.
    pub const fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Ulaw),
            8 => Some(Law::Alaw),
            _ => None,
        }
    }

    /// The SDP `a=rtpmap` encoding name ("PCMU" / "PCMA").
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Law::Ulaw => "PCMU",
            Law::Alaw => "PCMA",
        }
    }

    /// The codeword that decodes to (near) zero, for padding and comfort silence.
    pub const fn silence(self) -> u8 {
        match self {
            Law::Ulaw => ULAW_SILENCE,
            Law::Alaw => ALAW_SILENCE,
        }
    }

    /// Encodes one linear sample.
    #[inline]
    pub fn encode_sample(self, sample: i16) -> u8 {
        match self {
            Law::Ulaw => linear_to_ulaw(sample),
            Law::Alaw => linear_to_alaw(sample),
        }
    }

    /// Decodes one codeword.
    #[inline]
    pub fn decode_sample(self, code: u8) -> i16 {
        match self {
            Law::Ulaw => ulaw_to_linear(code),
            Law::Alaw => alaw_to_linear(code),
        }
    }

    /// Appends the codewords for `pcm` to `out` (one byte per sample).
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        match self {
            Law::Ulaw => encode_ulaw(pcm, out),
            Law::Alaw => encode_alaw(pcm, out),
        }
    }

    /// Appends the linear samples for `codes` to `out` (one sample per byte).
    pub fn decode(self, codes: &[u8], out: &mut Vec<i16>) {
        match self {
            Law::Ulaw => decode_ulaw(codes, out),
            Law::Alaw => decode_alaw(codes, out),
        }
    }
}

/// Index of the highest set bit (`x` must be non-zero; callers OR in 0xFF).
#[inline(always)]
const fn top_bit(x: u32) -> i32 {
    31 - x.leading_zeros() as i32
}

/// Encodes a 16-bit linear sample to a µ-law codeword (spandsp `linear_to_ulaw`, no zero trap).
#[inline]
pub const fn linear_to_ulaw(sample: i16) -> u8 {
    let (magnitude, mask) = if sample >= 0 {
        (ULAW_BIAS + sample as i32, 0xFF_u8)
    } else {
        (ULAW_BIAS - sample as i32, 0x7F_u8)
    };
    let seg = top_bit((magnitude | 0xFF) as u32) - 7;
    if seg >= 8 {
        0x7F ^ mask
    } else {
        (((seg << 4) | ((magnitude >> (seg + 3)) & 0x0F)) as u8) ^ mask
    }
}

/// Encodes a 16-bit linear sample to an A-law codeword (spandsp `linear_to_alaw`).
#[inline]
pub const fn linear_to_alaw(sample: i16) -> u8 {
    let (magnitude, mask) = if sample >= 0 {
        (sample as i32, 0x80 | ALAW_AMI_MASK)
    } else {
        (-(sample as i32) - 1, ALAW_AMI_MASK)
    };
    let seg = top_bit((magnitude | 0xFF) as u32) - 7;
    // For i16 input the magnitude is at most 32767, so `seg` is at most 7 (no clipping needed).
    let shift = if seg == 0 { 4 } else { seg + 3 };
    (((seg << 4) | ((magnitude >> shift) & 0x0F)) as u8) ^ mask
}

const fn ulaw_to_linear_calc(code: u8) -> i16 {
    let u = !code;
    let t = (((u & 0x0F) as i32) << 3) + ULAW_BIAS;
    let t = t << ((u & 0x70) >> 4);
    if u & 0x80 != 0 {
        (ULAW_BIAS - t) as i16
    } else {
        (t - ULAW_BIAS) as i16
    }
}

const fn alaw_to_linear_calc(code: u8) -> i16 {
    let a = code ^ ALAW_AMI_MASK;
    let mut i = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    if seg != 0 {
        i = (i + 0x108) << (seg - 1);
    } else {
        i += 8;
    }
    if a & 0x80 != 0 {
        i as i16
    } else {
        -i as i16
    }
}

const fn build_table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_to_linear_calc(i as u8)
        } else {
            ulaw_to_linear_calc(i as u8)
        };
        i += 1;
    }
    t
}

/// µ-law codeword → linear sample, indexed by the codeword.
pub static ULAW_TO_LINEAR: [i16; 256] = build_table(false);
/// A-law codeword → linear sample, indexed by the codeword.
pub static ALAW_TO_LINEAR: [i16; 256] = build_table(true);

/// Decodes a µ-law codeword to a 16-bit linear sample (range ±32124).
#[inline]
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TO_LINEAR[code as usize]
}

/// Decodes an A-law codeword to a 16-bit linear sample (range ±32256).
#[inline]
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TO_LINEAR[code as usize]
}

/// Appends the µ-law encoding of `pcm` to `out`.
pub fn encode_ulaw(pcm: &[i16], out: &mut Vec<u8>) {
    out.extend(pcm.iter().map(|&s| linear_to_ulaw(s)));
}

/// Appends the A-law encoding of `pcm` to `out`.
pub fn encode_alaw(pcm: &[i16], out: &mut Vec<u8>) {
    out.extend(pcm.iter().map(|&s| linear_to_alaw(s)));
}

/// Appends the linear decoding of µ-law `codes` to `out`.
pub fn decode_ulaw(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&c| ULAW_TO_LINEAR[c as usize]));
}

/// Appends the linear decoding of A-law `codes` to `out`.
pub fn decode_alaw(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&c| ALAW_TO_LINEAR[c as usize]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_codewords() {
        assert_eq!(linear_to_ulaw(0), ULAW_SILENCE);
        assert_eq!(linear_to_alaw(0), ALAW_SILENCE);
        assert_eq!(ulaw_to_linear(ULAW_SILENCE), 0);
        assert_eq!(alaw_to_linear(ALAW_SILENCE), 8);
    }

    #[test]
    fn tables_match_formula() {
        for c in 0..=255u8 {
            assert_eq!(ULAW_TO_LINEAR[c as usize], ulaw_to_linear_calc(c));
            assert_eq!(ALAW_TO_LINEAR[c as usize], alaw_to_linear_calc(c));
        }
    }
}
