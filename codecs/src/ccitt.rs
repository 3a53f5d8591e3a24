//! CCITT T.4 / T.6 coding of bilevel rows. (Owned by the fax-image work; stub.)

use crate::Bitmap;

/// Encodes a bitmap as a CCITT T.6 (Group 4, MMR) stream, MSB-first bit order, ending with EOFB.
pub fn encode_g4(bitmap: &Bitmap) -> Vec<u8> {
    let _ = bitmap;
    unimplemented!("encode_g4")
}
