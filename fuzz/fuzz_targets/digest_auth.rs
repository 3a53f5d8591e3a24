//! Authorization header values (one per line) through the digest server; `NONCE` stands for a
//! nonce the server issued. Seeds: tests/fuzz-corpus/digest_auth.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| faxvox::fuzzing::digest_authorization(data));
