//! `faxvox serve`: the gateway. Listens for SIP, answers fax and voicemail calls, commits
//! their messages to the spool and delivers them with the delivery worker in the same process.
//! SIGTERM or Ctrl-C stops taking calls, lets the calls in progress end (up to a limit), then
//! exits; SIGHUP reloads the delivery, retention and trunk settings.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::delivery::Transport;
use crate::gateway::server::Gateway;
use crate::sip::conn::{fd_budget, raise_nofile_limit, FDS_BASE, FDS_PER_CALL, FDS_PER_CONNECTION};
use crate::sip::digest::{DigestAuth, DEFAULT_NONCE_TTL};
use crate::sip::stack::{SipStack, StackConfig, StackGuard, TlsListen};
use crate::worker::{self, Worker};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Seconds to wait for calls in progress to end on SIGTERM before exiting anyway.
    #[arg(long, default_value_t = 300)]
    pub drain_secs: u64,
    /// Delivery worker: seconds between two looks at the spool when no call woke it up.
    #[arg(long, default_value_t = 10)]
    pub poll_secs: u64,
    /// Outbound dialer: seconds between two looks at the spool for faxes to send.
    #[arg(long, default_value_t = 2)]
    pub dial_poll_secs: u64,
}

/// The running outbound dialer: its task, its stop signal and the dialer (for its SIP stack).
type DialerTask = (
    tokio::task::JoinHandle<()>,
    Arc<Notify>,
    Arc<crate::outbound::dialer::Dialer>,
);

/// Starts the outbound fax dialer when `trunk.uri` is set (see [`crate::outbound::dialer`]).
async fn start_dialer(
    config: &Config,
    spool: &faxvox_spool::Spool,
    directory: &crate::directory::Directory,
    transport: &Transport,
    wake: Arc<Notify>,
    args: &Args,
    ports: crate::call::ports::PortPool,
) -> anyhow::Result<Option<DialerTask>> {
    use crate::outbound::dialer::Dialer;
    if !config.trunk.enabled() {
        info!("trunk.uri is empty: outbound fax sending is disabled");
        return Ok(None);
    }
    let dialer = Arc::new(
        Dialer::start_with_ports(
            &config.into(),
            spool.clone(),
            directory.clone(),
            transport.clone(),
            ports,
        )
        .await
        .context("cannot start the outbound dialer")?
        .wake_on_status(wake),
    );
    println!(
        "faxvox: sending faxes through {} from {}",
        config
            .trunk
            .uri
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default(),
        dialer.local_addr()
    );
    let stop = Arc::new(Notify::new());
    let poll = Duration::from_secs(args.dial_poll_secs.max(1));
    let task = tokio::spawn(dialer.clone().run(poll, stop.clone()));
    Ok(Some((task, stop, dialer)))
}

/// Starts the email-to-fax SMTP listener when `mail_in.listen` is set (see
/// [`crate::mail_in`]), with STARTTLS when `mail_in.tls_cert` (or `sip.tls_cert`) is set.
async fn start_mail_in(
    config: &Config,
    directory: &crate::directory::Directory,
    spool: &faxvox_spool::Spool,
) -> anyhow::Result<Option<crate::mail_in::listener::MailListener>> {
    use crate::mail_in::accept::{MailIn, Services};
    use crate::mail_in::listener::{tls_acceptor, MailListener};
    let settings = &config.mail_in;
    if !settings.enabled() {
        return Ok(None);
    }
    if !config.trunk.enabled() {
        warn!("mail_in.listen is set but trunk.uri is empty: every mail is refused (sending is disabled)");
    }
    let tls = match settings.tls_files(&config.sip.tls_cert, &config.sip.tls_key) {
        Some((cert, key)) => {
            let cert_pem = std::fs::read(&cert)
                .with_context(|| format!("mail_in.tls_cert: cannot read {cert}"))?;
            let key_pem = std::fs::read(&key)
                .with_context(|| format!("mail_in.tls_key: cannot read {key}"))?;
            Some(tls_acceptor(&cert_pem, &key_pem)?)
        }
        None => None,
    };
    let services = Services {
        directory: directory.clone(),
        billing: crate::billing::Billing::new(directory, &config.billing),
        spool: spool.clone(),
        trunk: config.trunk.clone(),
        renderer: crate::outbound::render::Renderer::new(&config.render),
    };
    let mail_in =
        MailIn::new(settings, services).context("cannot set up the email-to-fax sender checks")?;
    let starttls = tls.is_some();
    let listener = MailListener::start(settings, mail_in, tls).await?;
    info!(smtp = %listener.local_addr(), domain = %settings.domain(), starttls, "email-to-fax listening");
    println!("faxvox: email-to-fax (SMTP) on {}", listener.local_addr());
    Ok(Some(listener))
}

/// How often calls whose commit failed are tried again.
const RECOVERY_EVERY: Duration = Duration::from_secs(300);

/// The runtime for the CPUs this process may use (its affinity mask, e.g. `taskset -c 1`):
/// one worker per CPU, so the media drivers (one per worker) never share a CPU; with one CPU,
/// a current-thread runtime, so the serving loop, the SIP stack and the media drivers run on
/// one thread and never wake each other across threads.
fn runtime_for_cpus() -> tokio::runtime::Builder {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cpus);
        b
    }
}

pub fn run(args: &Args, config: &Config, config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let runtime = runtime_for_cpus()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, config, config_path))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &Args, config: &Config, config_path: Option<&Path>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let started = SystemTime::now();
    check_descriptors(config)?;
    // SIGHUP must never stop the gateway, not even before the delivery worker listens for it
    // (a `systemctl reload` right after the start): once installed, tokio's handler stays.
    let _early_hup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let spool = super::spool::open_spool(config)?;
    let directory = crate::directory::Directory::open(&config.database.url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                crate::redact::redact_url(&config.database.url)
            )
        })?;
    let transport = Transport::from_config(&config.smtp, &config.delivery)?;
    let new_job = Arc::new(Notify::new());
    // One pool of media ports for the calls in and out: random ports, rested after use.
    let ports = crate::call::ports::PortPool::with_rest(
        config.sip.media_ip(),
        config.sip.rtp_ports.range(),
        config.sip.rtp_port_rest(),
    );
    {
        let ports = ports.clone();
        crate::metrics::metrics().set_ports_source(move || ports.in_use());
    }
    let gateway = Gateway::with_ports(
        config.clone(),
        directory.clone(),
        spool.clone(),
        new_job.clone(),
        ports.clone(),
    )?;
    let (recovered, kept) = gateway.recover().await;
    if recovered + kept > 0 {
        info!(
            recovered,
            kept, "calls interrupted by the last stop: messages committed"
        );
    }
    let listen = config.sip.listen;
    let (stack, incoming) = SipStack::start(stack_config(config)?)
        .await
        .with_context(|| format!("cannot listen for SIP on {listen}"))?;
    info!(
        sip = %stack.local_addr(),
        tcp = config.sip.tcp,
        tls = ?stack.tls_local_addr(),
        digest_users = config.sip.auth_users.len(),
        media_ip = %config.sip.media_ip(),
        rtp_ports = %config.sip.rtp_ports,
        max_calls = config.sip.max_calls,
        "faxvox gateway listening"
    );
    // Readiness (database, spool disk, draining) decides the answer to OPTIONS.
    let health = super::health::Health::start(config, &directory, &spool, started).await?;
    stack.answer_options_by(health.readiness.clone());
    if let Some(addr) = health.local_addr() {
        println!("faxvox: metrics on http://{addr}");
    }
    // One line on stdout for scripts and tests that wait for the gateway.
    println!("faxvox: listening for SIP on {}", stack.local_addr());
    if let Some(tls) = stack.tls_local_addr() {
        println!("faxvox: listening for SIP over TLS on {tls}");
    }

    let dialer = start_dialer(
        config,
        &spool,
        &directory,
        &transport,
        new_job.clone(),
        args,
        ports,
    )
    .await?;
    let api = crate::api::start(config, &directory, &spool)
        .await
        .context("cannot start the HTTP API")?;
    if let Some(api) = &api {
        println!("faxvox: HTTP API on http://{}", api.local_addr());
    }
    let mail_in = start_mail_in(config, &directory, &spool).await?;
    let mut worker = Worker::new(spool.clone(), directory.clone(), transport, config)?;
    let worker_stop = Arc::new(Notify::new());
    let delivery = {
        let new_job = new_job.clone();
        let stop = worker_stop.clone();
        let poll = Duration::from_secs(args.poll_secs);
        let config_path = config_path.map(Path::to_path_buf);
        let directory = directory.clone();
        let config = config.clone();
        let dialer = dialer.as_ref().map(|(_, _, d)| d.clone());
        tokio::spawn(async move {
            // On SIGHUP: the trunk settings of the outbound dialer.
            let reload_trunk = |new: &Config| {
                if let Some(dialer) = &dialer {
                    match dialer.reload_trunk(&new.trunk) {
                        Ok(()) => {
                            info!(trunk = %new.trunk.redacted_uri(), t38 = %new.trunk.t38, max_attempts = new.trunk.max_attempts, retry_secs = new.trunk.retry_secs, "trunk settings reloaded (SIGHUP)")
                        }
                        Err(e) => {
                            error!(error = %e, "trunk settings not reloaded; keeping the old ones")
                        }
                    }
                } else if new.trunk.enabled() {
                    warn!("trunk.uri is set now, but sending faxes was off at start: restart faxvox serve to start the dialer");
                }
            };
            // Hourly, after the spool's retention purge: call records past their retention.
            let purge_records = |config: Config| {
                let directory = directory.clone();
                async move {
                    let months = config.retention.records_months;
                    let cutoff =
                        crate::directory::records::records_cutoff(SystemTime::now(), months);
                    match directory.purge_call_records(cutoff).await {
                        Ok(n) => info!(deleted = n, months, "call records purge"),
                        Err(e) => error!(error = %e, "call records purge failed"),
                    }
                }
            };
            worker::delivery_loop::run_delivery(
                &mut worker,
                &config,
                || Config::load(config_path.as_deref()),
                poll,
                &new_job,
                stop.notified(),
                purge_records,
                reload_trunk,
            )
            .await;
        })
    };
    // Calls whose commit failed (spool full) are committed again once there is room; their
    // folders wait in the spool's calls folder meanwhile.
    let recovery = {
        let gateway = gateway.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RECOVERY_EVERY).await;
                let (recovered, kept) = gateway.recover().await;
                if recovered + kept > 0 {
                    info!(
                        recovered,
                        kept, "recovery pass over calls not yet committed"
                    );
                }
            }
        })
    };

    let calls = {
        let gw = gateway.clone();
        tokio::spawn(async move { gw.run(incoming).await })
    };
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = term.recv() => info!("SIGTERM: stopping"),
        _ = tokio::signal::ctrl_c() => info!("interrupt: stopping"),
    }
    // Not ready from now on: /readyz and OPTIONS answer 503, so the dispatcher moves on.
    health.readiness.set_draining();
    // New calls are refused (503) from here on; the stack keeps running so that the calls in
    // progress still get their BYEs and re-INVITEs while they drain.
    gateway.stop_accepting();
    // No new faxes from the HTTP API either.
    if let Some(api) = api {
        api.shutdown().await;
    }
    // …nor by email.
    if let Some(mail_in) = mail_in {
        mail_in.shutdown().await;
    }
    let active = gateway.active_calls();
    if active > 0 {
        info!(
            active,
            drain_secs = args.drain_secs,
            "waiting for calls in progress"
        );
        if !gateway.drain(Duration::from_secs(args.drain_secs)).await {
            warn!(
                active = gateway.active_calls(),
                "calls still in progress at exit; their media stays in the spool's calls folder"
            );
        }
    }
    calls.abort();
    stack.shutdown();
    if let Some((task, stop, dialer)) = dialer {
        stop.notify_one();
        let wait = Duration::from_secs(args.drain_secs);
        if tokio::time::timeout(wait, task).await.is_err() {
            warn!("outbound fax still being sent at exit; it is dialled again after the restart");
        }
        dialer.shutdown();
    }
    recovery.abort();
    worker_stop.notify_one();
    let _ = delivery.await;
    health.shutdown().await;
    directory.close().await;
    Ok(())
}

/// Raises the soft open-file limit to the hard one, and refuses to start when the hard limit
/// is below what `sip.max_calls` calls and `sip.max_connections` connections may need
/// ([`fd_budget`]): calls would otherwise get 503 (no media socket) long before the limits
/// the configuration promises.
fn check_descriptors(config: &Config) -> anyhow::Result<()> {
    let sip = &config.sip;
    let limits =
        raise_nofile_limit().context("cannot raise the open-file limit (RLIMIT_NOFILE)")?;
    // SMTP connections of email-to-fax count with SIP's.
    let mail_connections = if config.mail_in.enabled() {
        u64::from(config.mail_in.max_connections)
    } else {
        0
    };
    let need = fd_budget(
        u64::from(sip.max_calls),
        u64::from(sip.max_connections) + mail_connections,
    );
    if limits.soft < need {
        anyhow::bail!(
            "the open-file limit is too low: sip.max_calls = {calls} and sip.max_connections = \
             {conns} need {need} descriptors ({FDS_PER_CALL} per call + {FDS_PER_CONNECTION} \
             per connection + {FDS_BASE}), but the hard limit is {hard} (soft {soft}); raise it \
             (ulimit -Hn, systemd LimitNOFILE=) to at least {need}, or lower sip.max_calls or \
             sip.max_connections",
            calls = sip.max_calls,
            conns = sip.max_connections,
            hard = limits.hard,
            soft = limits.soft,
        );
    }
    info!(
        soft_before = limits.soft_before,
        soft = limits.soft,
        hard = limits.hard,
        need,
        "open-file limit"
    );
    Ok(())
}

/// The SIP stack settings of the gateway: `sip.listen`/`sip.tcp`, the TLS listener when
/// `sip.tls_listen` is set, and digest challenges for sources outside `sip.trusted` when
/// `sip.auth_users` is not empty; the limits on untrusted sources (`sip.untrusted_rate`…).
fn stack_config(config: &Config) -> anyhow::Result<StackConfig> {
    let sip = &config.sip;
    let tls = match sip.tls_listen {
        Some(listen) => Some(TlsListen {
            listen,
            cert_pem: std::fs::read(sip.tls_cert.trim())
                .with_context(|| format!("sip.tls_cert: cannot read {}", sip.tls_cert))?,
            key_pem: std::fs::read(sip.tls_key.trim())
                .with_context(|| format!("sip.tls_key: cannot read {}", sip.tls_key))?,
        }),
        None => None,
    };
    let users = sip.auth_user_list();
    let auth = (!users.is_empty()).then(|| DigestAuth {
        realm: sip.auth_realm.clone(),
        users: users.into_iter().collect(),
        trusted: sip.trusted_nets(),
        nonce_ttl: DEFAULT_NONCE_TTL,
    });
    Ok(StackConfig {
        listen: sip.listen,
        tcp: sip.tcp,
        user_agent: format!("faxvox/{}", env!("CARGO_PKG_VERSION")),
        tls,
        auth,
        guard: Some(StackGuard {
            trusted: sip.trusted_nets(),
            limits: sip.guard_limits(),
        }),
        limits: sip.conn_limits(),
    })
}
