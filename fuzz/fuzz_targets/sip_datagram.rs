//! A UDP datagram on the SIP port: rsipstack's parser, then what our glue reads from the
//! request (From, To, Privacy, Authorization, the SDP body). Seeds: tests/fuzz-corpus/sip_datagram.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faxvox::fuzzing::sip_datagram(data));
