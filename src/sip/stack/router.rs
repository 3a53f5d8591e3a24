//! Routing of every new server transaction rsipstack hands over (see the module docs of
//! [`super`]). The decisions are pure functions over the facts of a request, tested below:
//! [`classify`] says where a request goes, [`admit`] applies the limits on untrusted sources
//! ([`Guard`]), [`admit_call`] decides whether a new call is challenged (digest). The rest
//! of this file reads those facts from rsipstack and carries the decisions out.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rsipstack::dialog::dialog::Dialog;
use rsipstack::dialog::DialogId;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::key::TransactionRole;
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::TransactionReceiver;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::super::digest::{AuthVerdict, DigestServer};
use super::super::guard::{Admission, Guard};
use super::leg::{self, LegHook};
use super::{incoming, IncomingCall, StackInner};

/// Methods we implement, for `Allow` headers.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS";

/// What the router knows of a new server transaction when it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Request {
    /// The request method.
    pub(super) method: Method,
    /// The transport source when it is outside the trusted networks (limits and digest
    /// apply); `None` for a trusted source or one we cannot tell.
    pub(super) untrusted: Option<IpAddr>,
    /// Whether its dialog identifiers parse (Call-ID, From tag, CSeq): `None` when they do
    /// not, else whether it carries a To tag (names a dialog).
    pub(super) to_tag: Option<bool>,
    /// The dialog rsipstack matched it to, if any.
    pub(super) dialog: Option<Known>,
}

/// A dialog rsipstack knows, as far as routing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// An INVITE dialog.
    Invite {
        /// The initial INVITE's 2xx was ACKed (or, on our side, received).
        confirmed: bool,
        /// The dialog is over.
        terminated: bool,
        /// We are the UAS (the peer called us).
        server: bool,
        /// A [`super::SipLeg`] runs the dialog.
        leg: bool,
    },
    /// Any other dialog (subscriptions, publications).
    Other,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// Its dialog identifiers do not parse: 400.
    BadRequest,
    /// An INVITE outside any dialog: a new call for the application (after [`admit_call`]).
    NewCall,
    /// OPTIONS outside any dialog: 200 with `Allow`.
    Options,
    /// An ACK outside any dialog: nothing to send.
    Ignore,
    /// It names a dialog (To tag) nobody knows: 481.
    UnknownDialog,
    /// Any other method outside a dialog: 405 with `Allow`.
    NotAllowed,
    /// For its dialog in rsipstack; what rsipstack leaves unanswered gets [`unanswered`].
    InDialog,
    /// A re-INVITE on an INVITE dialog that is not confirmed: rsipstack would take it for
    /// the initial INVITE and never answer it, so the glue drives it.
    Unconfirmed(Unconfirmed),
}

impl Route {
    /// The answer the router sends itself and forgets: status, and whether it carries
    /// `Allow`/`Accept`. `None` for routes that hand the request on (or send nothing).
    pub(super) fn reply(self) -> Option<(StatusCode, bool)> {
        match self {
            Route::BadRequest => Some((StatusCode::BadRequest, false)),
            Route::Options => Some((StatusCode::OK, true)),
            Route::UnknownDialog => Some((StatusCode::CallTransactionDoesNotExist, false)),
            Route::NotAllowed => Some((StatusCode::MethodNotAllowed, true)),
            Route::NewCall | Route::Ignore | Route::InDialog | Route::Unconfirmed(_) => None,
        }
    }
}

/// Who answers a re-INVITE on a dialog that is not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unconfirmed {
    /// The leg's [`Call`](super::super::call::Call).
    Leg,
    /// Nobody: the dialog is over (481).
    Terminated,
    /// No leg yet on our server dialog: no final response yet (500 + Retry-After, §14.2).
    NoLegUas,
    /// No leg yet on our client dialog: our INVITE is in progress (491, §14.2).
    NoLegUac,
}

impl Unconfirmed {
    /// The glue's own answer (status, with `Retry-After`); `None` when the leg answers.
    pub(super) fn answer(self) -> Option<(StatusCode, bool)> {
        match self {
            Unconfirmed::Leg => None,
            Unconfirmed::Terminated => Some((StatusCode::CallTransactionDoesNotExist, false)),
            Unconfirmed::NoLegUas => Some((StatusCode::ServerInternalError, true)),
            Unconfirmed::NoLegUac => Some((StatusCode::RequestPending, false)),
        }
    }
}

/// Where a request that passed [`admit`] goes.
pub(super) fn classify(req: &Request) -> Route {
    let Some(has_to_tag) = req.to_tag else {
        return Route::BadRequest;
    };
    if let Some(dialog) = req.dialog {
        return match (req.method, dialog) {
            (
                Method::Invite,
                Known::Invite {
                    confirmed: false,
                    terminated,
                    server,
                    leg,
                },
            ) => Route::Unconfirmed(if terminated {
                Unconfirmed::Terminated
            } else if leg {
                Unconfirmed::Leg
            } else if server {
                Unconfirmed::NoLegUas
            } else {
                Unconfirmed::NoLegUac
            }),
            _ => Route::InDialog,
        };
    }
    match req.method {
        Method::Invite if !has_to_tag => Route::NewCall,
        Method::Options if !has_to_tag => Route::Options,
        Method::Ack => Route::Ignore,
        _ if has_to_tag => Route::UnknownDialog,
        _ => Route::NotAllowed,
    }
}

/// The limits on untrusted sources: a request outside any dialog from an untrusted source
/// is counted by the `guard` (rate, transactions in progress, lock-out) and may be dropped
/// without an answer; requests in a dialog and from trusted sources always pass.
/// `in_progress`: server transactions open now, this one included.
pub(super) fn admit(
    guard: &mut Guard,
    now: Instant,
    req: &Request,
    in_progress: usize,
) -> Admission {
    match (req.untrusted, req.dialog) {
        (Some(ip), None) => guard.check(now, ip, in_progress),
        _ => Admission::Pass,
    }
}

/// What becomes of a new call ([`Route::NewCall`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallAdmission {
    /// Hand it to the application, which decides.
    Offer {
        /// The digest user the INVITE authenticated as.
        authenticated_user: Option<String>,
        /// From an untrusted source without credentials: no 100 Trying, and a refusal is
        /// sent once ([`IncomingCall::unverified`]).
        unverified: bool,
    },
    /// Answer 401 with this `WWW-Authenticate` value, once.
    Challenge {
        /// The header value.
        header: String,
        /// Why (log only).
        why: &'static str,
        /// Wrong credentials: counts towards the source's lock-out.
        failed: bool,
    },
}

/// Whether a new call from an `untrusted` (or trusted) source is challenged: with digest
/// users configured, an untrusted INVITE must carry valid credentials (`authorizations`,
/// its `Authorization` header values, for `request_uri`) or gets a 401.
pub(super) fn admit_call(
    digest: Option<&DigestServer>,
    now: SystemTime,
    untrusted: bool,
    request_uri: &str,
    authorizations: &[&str],
) -> CallAdmission {
    let mut authenticated_user = None;
    if let Some(digest) = digest {
        if !digest.auth().users.is_empty() && untrusted {
            match digest.verify(now, "INVITE", request_uri, authorizations) {
                AuthVerdict::Authenticated(user) => authenticated_user = Some(user),
                AuthVerdict::Challenge {
                    header,
                    why,
                    failed,
                } => {
                    return CallAdmission::Challenge {
                        header,
                        why,
                        failed,
                    }
                }
            }
        }
    }
    CallAdmission::Offer {
        unverified: untrusted && authenticated_user.is_none(),
        authenticated_user,
    }
}

/// The answer to an in-dialog request rsipstack left unanswered (before the dialog is
/// confirmed): OPTIONS and INFO 200, the rest 405 with `Allow`; an ACK gets nothing.
pub(super) fn unanswered(method: Method) -> Option<(StatusCode, bool)> {
    match method {
        Method::Ack => None,
        Method::Options | Method::Info => Some((StatusCode::OK, false)),
        _ => Some((StatusCode::MethodNotAllowed, true)),
    }
}

impl StackInner {
    /// Whether requests from `ip` are limited and must authenticate: outside the guard's
    /// trusted networks (or, without a guard, outside the digest's).
    fn is_untrusted(&self, ip: IpAddr) -> bool {
        match (&self.guard, &self.digest) {
            (Some((g, _)), _) => !g.is_trusted(ip),
            (None, Some(d)) => !d.auth().is_trusted(ip),
            (None, None) => false,
        }
    }

    /// The guard's verdict on `req` ([`admit`]; pass without a guard).
    fn admit(&self, req: &Request) -> Admission {
        let Some((_, guard)) = &self.guard else {
            return Admission::Pass;
        };
        let in_progress = self.layer.endpoint.transactions.len();
        admit(
            &mut guard.lock().expect("guard lock"),
            Instant::now(),
            req,
            in_progress,
        )
    }

    /// Records a failed digest attempt from `ip`; true when it locks `ip` out now.
    pub(super) fn auth_failed(&self, ip: IpAddr) -> bool {
        let Some((_, guard)) = &self.guard else {
            return false;
        };
        guard
            .lock()
            .expect("guard lock")
            .auth_failed(Instant::now(), ip)
    }

    /// Logs the drops due for a report (one line per source per interval).
    fn report_drops(&self) {
        let Some((_, guard)) = &self.guard else {
            return;
        };
        let due = guard.lock().expect("guard lock").sweep(Instant::now());
        for r in due {
            warn!(source = %r.source, dropped = r.dropped, reason = r.reason.as_str(), "requests from an untrusted source dropped without an answer");
        }
    }
}

/// Routes every new server transaction (see the module docs).
pub(super) async fn route_requests(
    stack: Arc<StackInner>,
    mut requests: TransactionReceiver,
    calls: mpsc::Sender<IncomingCall>,
) {
    let mut sweep = tokio::time::interval(Duration::from_secs(1));
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let tx = tokio::select! {
            _ = stack.cancel.cancelled() => break,
            _ = sweep.tick() => {
                stack.report_drops();
                continue;
            }
            tx = requests.recv() => match tx {
                Some(tx) => tx,
                None => break,
            },
        };
        route_one(&stack, tx, &calls).await;
    }
    debug!("SIP request router stopped");
}

/// Reads the facts of one request, decides ([`admit`], [`classify`]) and carries it out.
async fn route_one(
    stack: &Arc<StackInner>,
    mut tx: Transaction,
    calls: &mpsc::Sender<IncomingCall>,
) {
    let method = tx.original.method;
    let call_id = tx
        .original
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let source = source_of(&tx);
    let matched = stack.layer.match_dialog(&tx);
    let untrusted = source.map(|s| s.ip()).filter(|ip| stack.is_untrusted(*ip));
    let ids = DialogId::try_from(&tx);
    let (known, hook) = match &matched {
        Some(dialog) => {
            let (known, hook) = known_dialog(stack, method, dialog);
            (Some(known), hook)
        }
        None => (None, None),
    };
    let req = Request {
        method,
        untrusted,
        to_tag: ids.as_ref().ok().map(|id| !id.local_tag.is_empty()),
        dialog: known,
    };
    if let Admission::Drop(reason) = stack.admit(&req) {
        // Outside any dialog from outside the trusted networks: a drop sends nothing
        // (dropping an unanswered transaction sends nothing either).
        let ip = untrusted.expect("only untrusted sources are dropped");
        debug!(call_id = %call_id, %method, source = %ip, reason = reason.as_str(), "request dropped");
        return;
    }
    let once = untrusted.is_some();
    let route = classify(&req);
    match route {
        Route::BadRequest => {
            if let Err(e) = &ids {
                info!(call_id = %call_id, %method, error = %e, "request without dialog identifiers: 400");
            }
        }
        Route::Options => {
            let ready = stack.readiness.get().is_none_or(|r| r.is_ready());
            if !ready {
                debug!(call_id = %call_id, "OPTIONS: 503 (not ready)");
                reply_and_forget(tx, StatusCode::ServiceUnavailable, true, once);
                return;
            }
            debug!(call_id = %call_id, "OPTIONS: 200")
        }
        Route::UnknownDialog => {
            info!(call_id = %call_id, %method, "request for an unknown dialog: 481")
        }
        Route::NotAllowed => {
            info!(call_id = %call_id, %method, "unsupported out-of-dialog request: 405")
        }
        Route::Ignore => {}
        Route::NewCall => {
            incoming::offer(stack, tx, call_id, once, calls).await;
            return;
        }
        Route::Unconfirmed(target) => {
            debug!(call_id = %call_id, ?target, "re-INVITE on an unconfirmed dialog");
            match (target.answer(), hook) {
                (None, Some(hook)) => {
                    tokio::spawn(leg::reinvite_to_leg(hook, tx, call_id));
                }
                (answer, _) => {
                    // Without a leg to answer (gone since): the dialog is over, 481.
                    let (status, retry_after) =
                        answer.unwrap_or((StatusCode::CallTransactionDoesNotExist, false));
                    tokio::spawn(leg::refuse_reinvite(tx, status, retry_after, call_id));
                }
            }
            return;
        }
        Route::InDialog => {
            let Some(mut dialog) = matched else {
                return;
            };
            debug!(call_id = %call_id, %method, "in-dialog request");
            tokio::spawn(async move {
                if let Err(e) = dialog.handle(&mut tx).await {
                    debug!(call_id = %call_id, %method, error = %e, "in-dialog request handling");
                }
                // Requests rsipstack leaves unanswered (before the dialog is confirmed).
                if tx.last_response.is_none() {
                    if let Some((status, allow)) = unanswered(method) {
                        debug!(call_id = %call_id, %method, %status, "answering what the dialog left");
                        reply_to(&mut tx, status, allow).await;
                    }
                }
            });
            return;
        }
    }
    if let Some((status, allow)) = route.reply() {
        reply_and_forget(tx, status, allow, once);
    }
}

/// What [`classify`] needs to know of the dialog a request matched, and the leg's hook when
/// a re-INVITE on an unconfirmed dialog is for the leg.
fn known_dialog(stack: &StackInner, method: Method, dialog: &Dialog) -> (Known, Option<LegHook>) {
    let Dialog::Invite(invite) = dialog else {
        return (Known::Other, None);
    };
    let state = invite.state();
    let (confirmed, terminated) = (state.is_confirmed(), state.is_terminated());
    let hook = if method == Method::Invite && !confirmed && !terminated {
        let legs = stack.legs.lock().expect("legs lock");
        legs.get(&invite.id()).cloned()
    } else {
        None
    };
    let known = Known::Invite {
        confirmed,
        terminated,
        server: invite.role() == TransactionRole::Server,
        leg: hook.is_some(),
    };
    (known, hook)
}

/// The transport source of a request.
fn source_of(tx: &Transaction) -> Option<SocketAddr> {
    tx.connection
        .as_ref()?
        .get_remote_addr()?
        .get_socketaddr()
        .ok()
}

/// Answers a request; an INVITE's failure is then retransmitted until its ACK, unless `once`
/// (an untrusted source: see [`incoming::challenge_once`]).
pub(super) fn reply_and_forget(mut tx: Transaction, status: StatusCode, allow: bool, once: bool) {
    tokio::spawn(async move {
        reply_to(&mut tx, status, allow).await;
        if tx.original.method == Method::Invite && !once {
            while tx.receive().await.is_some() {}
        }
    });
}

async fn reply_to(tx: &mut Transaction, status: StatusCode, allow: bool) {
    let headers = if allow {
        vec![
            Header::Allow(ALLOW.into()),
            Header::Accept("application/sdp".into()),
        ]
    } else {
        vec![]
    };
    if let Err(e) = tx.reply_with(status, headers, None).await {
        debug!(error = %e, "cannot send response");
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::sip::digest::{parse_credentials, response_auth, DigestAuth};
    use crate::sip::guard::{DropReason, GuardConfig};

    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    const URI: &str = "sip:100@192.0.2.1:5060";

    fn out_of_dialog(method: Method, to_tag: bool) -> Request {
        Request {
            method,
            untrusted: None,
            to_tag: Some(to_tag),
            dialog: None,
        }
    }

    fn in_dialog(method: Method, dialog: Known) -> Request {
        Request {
            dialog: Some(dialog),
            ..out_of_dialog(method, true)
        }
    }

    fn invite_dialog(confirmed: bool, terminated: bool, server: bool, leg: bool) -> Known {
        Known::Invite {
            confirmed,
            terminated,
            server,
            leg,
        }
    }

    fn reply(req: &Request) -> Option<(StatusCode, bool)> {
        classify(req).reply()
    }

    #[test]
    fn an_invite_outside_a_dialog_is_a_new_call() {
        let req = out_of_dialog(Method::Invite, false);
        assert_eq!(classify(&req), Route::NewCall);
        assert_eq!(reply(&req), None);
        // Untrusted sources too: admission decides about them (see below).
        let req = Request {
            untrusted: Some(PEER),
            ..req
        };
        assert_eq!(classify(&req), Route::NewCall);
    }

    #[test]
    fn out_of_dialog_requests_are_answered_by_the_router() {
        let options = out_of_dialog(Method::Options, false);
        assert_eq!(classify(&options), Route::Options);
        assert_eq!(reply(&options), Some((StatusCode::OK, true)));
        for method in [
            Method::Bye,
            Method::Register,
            Method::Subscribe,
            Method::Message,
            Method::Info,
            Method::Cancel,
        ] {
            let req = out_of_dialog(method, false);
            assert_eq!(classify(&req), Route::NotAllowed, "{method}");
            assert_eq!(reply(&req), Some((StatusCode::MethodNotAllowed, true)));
        }
        // A To tag names a dialog nobody knows: 481, whatever the method (ACK aside).
        for method in [Method::Invite, Method::Bye, Method::Options, Method::Info] {
            let req = out_of_dialog(method, true);
            assert_eq!(classify(&req), Route::UnknownDialog, "{method}");
            assert_eq!(
                reply(&req),
                Some((StatusCode::CallTransactionDoesNotExist, false))
            );
        }
        for to_tag in [false, true] {
            let ack = out_of_dialog(Method::Ack, to_tag);
            assert_eq!(classify(&ack), Route::Ignore);
            assert_eq!(reply(&ack), None);
        }
    }

    #[test]
    fn requests_without_dialog_identifiers_are_400() {
        for method in [Method::Invite, Method::Options, Method::Bye, Method::Ack] {
            let mut req = out_of_dialog(method, false);
            req.to_tag = None;
            assert_eq!(classify(&req), Route::BadRequest, "{method}");
            assert_eq!(reply(&req), Some((StatusCode::BadRequest, false)));
            // Checked before the dialog.
            req.dialog = Some(invite_dialog(true, false, true, true));
            assert_eq!(classify(&req), Route::BadRequest, "{method}");
        }
    }

    #[test]
    fn requests_in_a_dialog_go_to_it() {
        let confirmed = invite_dialog(true, false, true, true);
        for method in [
            Method::Invite,
            Method::Bye,
            Method::Options,
            Method::Info,
            Method::Update,
            Method::Ack,
        ] {
            let req = in_dialog(method, confirmed);
            assert_eq!(classify(&req), Route::InDialog, "{method}");
            assert_eq!(reply(&req), None);
        }
        // Only an INVITE on an unconfirmed dialog is driven by the glue.
        let early = invite_dialog(false, false, true, true);
        assert_eq!(classify(&in_dialog(Method::Bye, early)), Route::InDialog);
        assert_eq!(classify(&in_dialog(Method::Ack, early)), Route::InDialog);
        assert_eq!(
            classify(&in_dialog(Method::Invite, Known::Other)),
            Route::InDialog
        );
    }

    #[test]
    fn reinvites_before_the_dialog_is_confirmed() {
        let route = |known| classify(&in_dialog(Method::Invite, known));
        // A leg runs the dialog: its Call answers.
        let to_leg = route(invite_dialog(false, false, true, true));
        assert_eq!(to_leg, Route::Unconfirmed(Unconfirmed::Leg));
        assert_eq!(Unconfirmed::Leg.answer(), None);
        assert_eq!(
            route(invite_dialog(false, false, false, true)),
            Route::Unconfirmed(Unconfirmed::Leg)
        );
        // The dialog is over: 481.
        let over = route(invite_dialog(false, true, true, false));
        assert_eq!(over, Route::Unconfirmed(Unconfirmed::Terminated));
        assert_eq!(
            Unconfirmed::Terminated.answer(),
            Some((StatusCode::CallTransactionDoesNotExist, false))
        );
        // Our server dialog without a leg: no final response yet, 500 + Retry-After.
        let uas = route(invite_dialog(false, false, true, false));
        assert_eq!(uas, Route::Unconfirmed(Unconfirmed::NoLegUas));
        assert_eq!(
            Unconfirmed::NoLegUas.answer(),
            Some((StatusCode::ServerInternalError, true))
        );
        // Our client dialog without a leg: our INVITE is in progress, 491.
        let uac = route(invite_dialog(false, false, false, false));
        assert_eq!(uac, Route::Unconfirmed(Unconfirmed::NoLegUac));
        assert_eq!(
            Unconfirmed::NoLegUac.answer(),
            Some((StatusCode::RequestPending, false))
        );
    }

    #[test]
    fn what_the_dialog_leaves_unanswered() {
        assert_eq!(unanswered(Method::Options), Some((StatusCode::OK, false)));
        assert_eq!(unanswered(Method::Info), Some((StatusCode::OK, false)));
        for method in [Method::Bye, Method::Update, Method::Refer, Method::Notify] {
            assert_eq!(
                unanswered(method),
                Some((StatusCode::MethodNotAllowed, true)),
                "{method}"
            );
        }
        assert_eq!(unanswered(Method::Ack), None);
    }

    fn strict_guard() -> Guard {
        Guard::new(GuardConfig {
            rate: 1,
            burst: 1,
            max_transactions: 10,
            auth_max_failures: 2,
            ..GuardConfig::default()
        })
    }

    #[test]
    fn only_untrusted_requests_outside_a_dialog_are_limited() {
        let mut guard = strict_guard();
        let now = Instant::now();
        let trusted = out_of_dialog(Method::Invite, false);
        let untrusted_in_dialog = Request {
            untrusted: Some(PEER),
            ..in_dialog(Method::Bye, invite_dialog(true, false, true, true))
        };
        for _ in 0..50 {
            assert_eq!(admit(&mut guard, now, &trusted, 1000), Admission::Pass);
            assert_eq!(
                admit(&mut guard, now, &untrusted_in_dialog, 1000),
                Admission::Pass
            );
        }
        let untrusted = Request {
            untrusted: Some(PEER),
            ..trusted
        };
        assert_eq!(admit(&mut guard, now, &untrusted, 1), Admission::Pass);
        assert_eq!(
            admit(&mut guard, now, &untrusted, 1),
            Admission::Drop(DropReason::Rate)
        );
        // The rate refills: one more a second later.
        let later = now + Duration::from_secs(1);
        assert_eq!(admit(&mut guard, later, &untrusted, 1), Admission::Pass);
    }

    #[test]
    fn untrusted_requests_are_dropped_above_the_transaction_cap() {
        let mut guard = strict_guard();
        let now = Instant::now();
        let untrusted = Request {
            untrusted: Some(PEER),
            ..out_of_dialog(Method::Options, false)
        };
        assert_eq!(
            admit(&mut guard, now, &untrusted, 11),
            Admission::Drop(DropReason::Transactions)
        );
        let trusted = out_of_dialog(Method::Options, false);
        assert_eq!(admit(&mut guard, now, &trusted, 11), Admission::Pass);
    }

    #[test]
    fn a_locked_out_source_is_dropped_outside_dialogs_only() {
        let mut guard = strict_guard();
        let now = Instant::now();
        assert!(!guard.auth_failed(now, PEER));
        assert!(guard.auth_failed(now, PEER));
        let later = now + Duration::from_secs(5);
        let invite = Request {
            untrusted: Some(PEER),
            ..out_of_dialog(Method::Invite, false)
        };
        assert_eq!(
            admit(&mut guard, later, &invite, 1),
            Admission::Drop(DropReason::LockedOut)
        );
        let bye = Request {
            untrusted: Some(PEER),
            ..in_dialog(Method::Bye, invite_dialog(true, false, true, true))
        };
        assert_eq!(admit(&mut guard, later, &bye, 1), Admission::Pass);
    }

    fn digest(users: &[(&str, &str)]) -> DigestServer {
        DigestServer::new(DigestAuth {
            realm: "faxvox".into(),
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
            trusted: vec!["10.0.0.0/8".parse().unwrap()],
            nonce_ttl: Duration::from_secs(300),
        })
    }

    fn authorization(nonce: &str, password: &str) -> String {
        let r = response_auth(
            "alice", "faxvox", password, "INVITE", URI, nonce, "00000001", "c1",
        );
        format!(
            "Digest username=\"alice\", realm=\"faxvox\", nonce=\"{nonce}\", uri=\"{URI}\", \
             response=\"{r}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c1\""
        )
    }

    #[test]
    fn new_calls_without_digest_users_are_offered() {
        let now = SystemTime::now();
        let offer = |authenticated_user, unverified| CallAdmission::Offer {
            authenticated_user,
            unverified,
        };
        assert_eq!(admit_call(None, now, false, URI, &[]), offer(None, false));
        // Untrusted without digest: offered unverified (no 100, a refusal sent once).
        assert_eq!(admit_call(None, now, true, URI, &[]), offer(None, true));
        let nobody = digest(&[]);
        assert_eq!(
            admit_call(Some(&nobody), now, true, URI, &[]),
            offer(None, true)
        );
        // Trusted sources are never challenged.
        let alice = digest(&[("alice", "s3cret")]);
        assert_eq!(
            admit_call(Some(&alice), now, false, URI, &[]),
            offer(None, false)
        );
    }

    #[test]
    fn untrusted_new_calls_must_authenticate() {
        let now = SystemTime::now();
        let alice = digest(&[("alice", "s3cret")]);
        let CallAdmission::Challenge { header, failed, .. } =
            admit_call(Some(&alice), now, true, URI, &[])
        else {
            panic!("an INVITE without credentials is challenged");
        };
        assert!(!failed, "a first INVITE without credentials is no failure");
        assert!(header.starts_with("Digest "), "{header}");
        let nonce = parse_credentials(&header).unwrap()["nonce"].clone();

        let wrong = authorization(&nonce, "guess");
        assert!(matches!(
            admit_call(Some(&alice), now, true, URI, &[&wrong]),
            CallAdmission::Challenge { failed: true, .. }
        ));

        let right = authorization(&nonce, "s3cret");
        assert_eq!(
            admit_call(Some(&alice), now, true, URI, &[&right]),
            CallAdmission::Offer {
                authenticated_user: Some("alice".into()),
                unverified: false,
            }
        );
    }
}
