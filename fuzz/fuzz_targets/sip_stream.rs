//! Bytes on a SIP TCP/TLS connection: rsipstack's stream framing (SipCodec, Content-Length)
//! and parser, each message then through the same path as a datagram.
//! Seeds: tests/fuzz-corpus/sip_stream.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rsipstack::transport::stream::{SipCodec, SipCodecType};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut codec = SipCodec::new();
    let mut buf = BytesMut::new();
    // Fed in two reads, as a connection may deliver it.
    let half = data.len() / 2;
    for chunk in [&data[..half], &data[half..]] {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(SipCodecType::Message(msg))) => {
                    faxvox::fuzzing::sip_datagram(&msg.to_bytes());
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
});
