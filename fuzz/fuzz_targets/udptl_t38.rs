//! UDPTL datagrams on the T.38 port: our UDPTL receiver, then every IFP into spandsp's T.38
//! terminal of a receiving fax session. Input framing: faxvox::fuzzing::records.
//! Seeds: tests/fuzz-corpus/udptl_t38 (a recorded T.38 fax).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    faxvox::fuzzing::udptl_t38(data);
});
