//! The header line on every page faxvox sends: the date and time of the transmission in the
//! account's time zone, the sender (the account's name and the caller id, or `withheld` for
//! an anonymous fax) and "page n/m" of the whole fax, the cover page included, in the top
//! 5 mm of the page, as fax machines print it (47 CFR 68.318(d) requires it on faxes sent in
//! the US).
//!
//! The dialer stamps the pages just before they go to the fax engine, on every attempt: a
//! retry's pages carry the time they are sent and their number in the whole fax. The pages
//! stored in the queue stay as submitted. The band is drawn by
//! [`faxvox_codecs::header::stamp`]; below it every pixel is the submitted one. Off when the
//! client asked (`faxvox send --no-header`, the API's `header: false`).

use std::time::SystemTime;

use faxvox_codecs::header::{stamp, HeaderLine};
use faxvox_codecs::Page;

use crate::directory::Account;
use crate::jobs::OutboundFacts;

/// Written instead of the sender of an anonymous fax (as on its cover page).
pub const WITHHELD: &str = "withheld";

/// Who sends, and the clock the date is read in: the same for every page of a fax.
#[derive(Debug, Clone)]
pub struct Sender {
    /// The account's name and caller id as printed, or [`WITHHELD`].
    pub text: String,
    pub zone: jiff::tz::TimeZone,
}

impl Sender {
    /// The sender of fax `facts` from `account`: its name (or id) and the caller id
    /// (`None`: the account is gone; the caller id alone then). Time zone: the account's,
    /// UTC when unknown.
    pub fn of(account: Option<&Account>, facts: &OutboundFacts) -> Sender {
        let zone = account
            .and_then(|a| a.zone().ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let text = if facts.anonymous {
            WITHHELD.to_string()
        } else {
            let number = crate::delivery::phone::format_number(&facts.from);
            match account.map(|a| a.display_name().trim()) {
                Some(name) if !name.is_empty() => format!("{name} {number}"),
                _ => number,
            }
        };
        Sender { text, zone }
    }

    /// The line of page `page` (1-based) of `pages`, sent at `at`.
    pub fn line(&self, at: SystemTime, page: u32, pages: u32) -> HeaderLine {
        let ts = jiff::Timestamp::try_from(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        HeaderLine {
            left: faxvox_codecs::pdf_text::local_minute_with_zone(ts, &self.zone),
            middle: self.text.clone(),
            right: format!("page {page}/{pages}"),
        }
    }
}

/// Stamps `pages`, the pages of a fax of `total` pages from page `first` (1-based) on, sent
/// at `at`.
pub fn stamp_pages(pages: &mut [Page], sender: &Sender, at: SystemTime, first: u32, total: u32) {
    for (i, page) in pages.iter_mut().enumerate() {
        let n = first.saturating_add(i as u32);
        stamp(page, &sender.line(at, n, total.max(n)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn facts(anonymous: bool) -> OutboundFacts {
        OutboundFacts {
            fax_id: "f".into(),
            account: "acme".into(),
            from: "+33100000001".into(),
            to: "+33299001122".into(),
            anonymous,
            pages: 3,
            reservation: "r".into(),
            rate: crate::money::Money::ZERO,
            amount: crate::money::Money::ZERO,
            prefix: "33".into(),
            submitted: "2026-12-07T22:14:00Z".into(),
            header: true,
            reply: None,
        }
    }

    fn account() -> Account {
        Account {
            id: "acme".into(),
            name: Some("Zoé Lefèvre".into()),
            locale: crate::directory::Locale::Fr,
            time_zone: "Europe/Paris".into(),
            state: "active".into(),
            emails: vec!["zoe@acme.example".into()],
            created_at: "2026-11-01T00:00:00Z".into(),
        }
    }

    /// 2026-12-07 22:14 UTC.
    fn at() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_681_640)
    }

    #[test]
    fn header_line_has_local_time_sender_and_page() {
        let s = Sender::of(Some(&account()), &facts(false));
        let line = s.line(at(), 2, 3);
        assert_eq!(line.left, "2026-12-07 23:14 CET");
        assert_eq!(line.middle, "Zoé Lefèvre +33 1 00 00 00 01");
        assert_eq!(line.right, "page 2/3");
    }

    #[test]
    fn header_line_of_an_anonymous_fax_says_withheld() {
        let s = Sender::of(Some(&account()), &facts(true));
        assert_eq!(s.line(at(), 1, 1).middle, "withheld");
        // Without the account: its number, in UTC.
        let s = Sender::of(None, &facts(false));
        let line = s.line(at(), 1, 1);
        assert_eq!(line.middle, "+33 1 00 00 00 01");
        assert_eq!(line.left, "2026-12-07 22:14 UTC");
    }
}
