//! A peer's SDP through our offer/answer layer (sdp.rs, t38.rs); our answers must parse again.
//! Seeds: tests/fuzz-corpus/sdp_offer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faxvox::fuzzing::sdp_offer(data));
