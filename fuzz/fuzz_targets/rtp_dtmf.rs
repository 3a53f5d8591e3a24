//! RTP datagrams on the audio port: parser, reorder buffer, RFC 4733 receiver.
//! Input framing: faxvox::fuzzing::records. Seeds: tests/fuzz-corpus/rtp_dtmf.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faxvox::fuzzing::rtp_packets(data));
