//! Fax sessions over spandsp: receive and transmit, over G.711 audio or T.38, as sans-IO
//! state machines; tone detection; the fax simulator behind `faxvox fax-sim`.
