//! SDP offer/answer, T.38 attributes, malformed SDP.

mod offer_answer;
mod robustness;
mod t38;
