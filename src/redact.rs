//! Hiding secrets in URLs before they are shown: `config show`, error messages and logs end
//! up in tickets and chat rooms. One function for every URL the gateway prints (database,
//! SMTP, SIP trunk), so that no place forgets a form.

/// Query parameters whose value is a secret, by a word their name contains (compared in lower
/// case): `password`, `passwd`, `pass`, `sslpassword`, `pwd`, `secret`, `client_secret`,
/// `token`, `access_token`, `api_key`, `apikey`, `credentials`.
const SECRET_WORDS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "credential",
];

/// The password of `url` replaced by `***`, wherever it is: in the user info
/// (`postgres://user:password@host/db`, `smtp://u:p@host`, `sip:user:password@host`) and in
/// query parameters (`postgres://u@h/db?password=…`, also `pass=`, `passwd=`, `secret=`,
/// `token=`, see [`SECRET_WORDS`]). Everything else is kept as written, so the URL still says
/// where it points. Not a URL at all: returned as is.
pub fn redact_url(url: &str) -> String {
    // The fragment is not sent anywhere but may hold anything: keep it, redacted like a query.
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let lower = base.get(..5).unwrap_or(base).to_ascii_lowercase();
    let sip = lower.starts_with("sip:") || lower == "sips:";
    // SIP URI parameters (`;name=value`) follow the host part.
    let mut out = match base.split_once(';') {
        Some((head, params)) if sip => {
            format!("{};{}", redact_userinfo(head), redact_params(params))
        }
        _ => redact_userinfo(base),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(&redact_params(q));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&redact_params(f));
    }
    out
}

/// `scheme://user:password@host…` (or `sip:user:password@host`) with the password hidden.
fn redact_userinfo(base: &str) -> String {
    let authority_start = if let Some(i) = base.find("://") {
        i + 3
    } else {
        // Schemes without `//` that carry user info: SIP URIs.
        let lower = base.get(..5).unwrap_or("").to_ascii_lowercase();
        if lower.starts_with("sip:") {
            4
        } else if lower == "sips:" {
            5
        } else {
            return base.to_string();
        }
    };
    let rest = &base[authority_start..];
    let authority_end = rest.find('/').map_or(base.len(), |i| authority_start + i);
    let authority = &base[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return base.to_string();
    };
    match authority[..at].split_once(':') {
        Some((user, _password)) => format!(
            "{}{user}:***{}",
            &base[..authority_start],
            &base[authority_start + at..]
        ),
        None => base.to_string(),
    }
}

/// `a=1&password=x;token=y` with secret values hidden (`&` and `;` separate parameters: SIP
/// URI parameters use `;`).
fn redact_params(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let param = &rest[..end];
        match param.split_once('=') {
            Some((key, _value)) if is_secret(key) => {
                out.push_str(key);
                out.push_str("=***");
            }
            _ => out.push_str(param),
        }
        if end == rest.len() {
            return out;
        }
        out.push_str(&rest[end..end + 1]);
        rest = &rest[end + 1..];
    }
}

fn is_secret(key: &str) -> bool {
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_in_user_info_are_hidden() {
        for (url, want) in [
            (
                "postgres://fax:s3cret@db.example:5432/faxvox",
                "postgres://fax:***@db.example:5432/faxvox",
            ),
            ("smtp://u:secret@host:25", "smtp://u:***@host:25"),
            (
                "smtps://user%40x:p%40ss@mail.example?tls=none",
                "smtps://user%40x:***@mail.example?tls=none",
            ),
            // An @ in the password: the last @ ends the user info.
            ("postgres://u:a@b@h/db", "postgres://u:***@h/db"),
            (
                "sip:trunk:hunter2@sip.example:5060",
                "sip:trunk:***@sip.example:5060",
            ),
            (
                "SIPS:trunk:hunter2@sip.example",
                "SIPS:trunk:***@sip.example",
            ),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn secret_query_parameters_are_hidden() {
        for (url, want) in [
            (
                "postgres://fax@db/faxvox?password=s3cret",
                "postgres://fax@db/faxvox?password=***",
            ),
            (
                "postgresql://db/faxvox?user=fax&password=s3cret&sslmode=require",
                "postgresql://db/faxvox?user=fax&password=***&sslmode=require",
            ),
            (
                "postgres://db/x?sslpassword=k&PASSWORD=a&pass=b&passwd=c&pwd=d",
                "postgres://db/x?sslpassword=***&PASSWORD=***&pass=***&passwd=***&pwd=***",
            ),
            (
                "https://h/x?secret=a&token=b&access_token=c&api_key=d&client_secret=e",
                "https://h/x?secret=***&token=***&access_token=***&api_key=***&client_secret=***",
            ),
            // Percent-encoded name, and both at once.
            (
                "postgres://u:p@h/db?pass%77ord=x",
                "postgres://u:***@h/db?pass%77ord=***",
            ),
            // SIP URI parameters are separated by `;`.
            (
                "sip:trunk.example;transport=tcp;password=x",
                "sip:trunk.example;transport=tcp;password=***",
            ),
            // A fragment is redacted like a query.
            ("smtp://h/#token=abc", "smtp://h/#token=***"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn everything_else_is_kept_as_written() {
        for url in [
            "postgres://fax@db/faxvox",
            "postgres://db/faxvox?sslmode=require&application_name=faxvox",
            "sqlite://var/faxvox.db",
            "sqlite://var/faxvox.db?mode=rwc",
            "sqlite::memory:",
            "smtp://127.0.0.1:2525?tls=none",
            "maildir:///var/mail/faxvox",
            "sip:127.0.0.1:5060",
            "sip:gw@trunk.example;transport=TCP",
            "",
            "not a url",
            "postgres://h/db?flag&x=",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
