//! Bytes from an SMTP client into the email-to-fax server session (`mail_in::smtp`): commands,
//! pipelining, DATA with dot-stuffing, STARTTLS, over-long lines and garbage.
//! Seeds: tests/fuzz-corpus/smtp_session.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    faxvox::fuzzing::smtp_session(data);
});
