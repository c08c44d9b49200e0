//! `http_output`: alerts POSTed to a URL (falcosidekick, webhooks).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::Agent;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

use super::{Channel, Message};
use crate::config::HttpOutput;
use crate::error::{ChannelError, Error, ErrorKind};

/// How long one request may take, connecting included, before it counts as a timeout
/// (Falco's libcurl has no overall limit; a limit keeps a black-holed endpoint from holding
/// the channel forever).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs every alert, as JSON (`Content-Type: application/json`) or text
/// (`text/plain`) depending on `json_output`, with Falco's options: `user_agent`, TLS
/// verification (`insecure`, `ca_cert`, `ca_bundle`, `ca_path`), client certificates
/// (`mtls`, `client_cert`, `client_key`), `echo`, `max_consecutive_timeouts`.
///
/// A failed request (no connection, timeout after the retries, a 4xx/5xx answer) is returned
/// as an error, which the engine counts and logs. The engine runs this channel on its own
/// thread, so a slow or unreachable server never holds up other channels.
#[derive(Debug)]
pub struct HttpChannel {
    agent: Agent,
    url: String,
    content_type: &'static str,
    user_agent: String,
    headers: Vec<(String, String)>,
    echo: bool,
    max_consecutive_timeouts: u8,
}

impl HttpChannel {
    /// Builds the channel from `http_output`, reading certificate files now so that a bad
    /// path is a startup error. `json` is `json_output`.
    pub fn new(cfg: &HttpOutput, json: bool) -> Result<HttpChannel, Error> {
        HttpChannel::with_timeout(cfg, json, DEFAULT_REQUEST_TIMEOUT)
    }

    /// As [`new`](HttpChannel::new), with another per-request timeout.
    pub fn with_timeout(
        cfg: &HttpOutput,
        json: bool,
        timeout: Duration,
    ) -> Result<HttpChannel, Error> {
        let url = unquote(&cfg.url);
        if url.is_empty() {
            return Err(Error::new(ErrorKind::MissingOption { output: "http", option: "url" }));
        }
        let tls = tls_config(cfg)?;
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(ureq::config::AutoHeaderValue::None)
            .tls_config(tls)
            .build()
            .into();
        let mut headers: Vec<(String, String)> = Vec::new();
        if cfg.compress_uploads {
            headers.push(("TE".into(), "gzip".into()));
        }
        for (k, v) in &cfg.custom_headers {
            let valid_name = !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid_name || v.bytes().any(|b| b == b'\r' || b == b'\n') {
                return Err(Error::new(ErrorKind::Http(format!(
                    "invalid custom header {k:?}: {v:?}"
                ))));
            }
            headers.push((k.clone(), v.clone()));
        }
        Ok(HttpChannel {
            agent,
            url,
            content_type: if json { "application/json" } else { "text/plain" },
            user_agent: cfg.user_agent.clone(),
            headers,
            echo: cfg.echo,
            max_consecutive_timeouts: cfg.max_consecutive_timeouts,
        })
    }

    fn post(&self, body: &str) -> Result<(), ureq::Error> {
        let mut req = self.agent.post(&self.url).header("Content-Type", self.content_type);
        if !self.user_agent.is_empty() {
            req = req.header("User-Agent", &self.user_agent);
        }
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let mut resp = req.send(body)?;
        // Read the answer so that the connection can be reused.
        let answer = resp.body_mut().with_config().limit(1 << 20).read_to_vec();
        let status = resp.status();
        if self.echo
            && let Ok(answer) = &answer
        {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(answer);
            let _ = out.flush();
        }
        if status.is_client_error() || status.is_server_error() {
            return Err(ureq::Error::StatusCode(status.as_u16()));
        }
        Ok(())
    }
}

impl Channel for HttpChannel {
    fn name(&self) -> &str {
        "http"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.post(msg.text) {
                Ok(()) => return Ok(()),
                Err(ureq::Error::Timeout(_))
                    if attempts <= u32::from(self.max_consecutive_timeouts) => {}
                Err(e) => {
                    return Err(ChannelError::Http(format!("POST {} failed: {e}", self.url)));
                }
            }
        }
    }
}

/// Falco removes quotes around the URL (a YAML value written as `'"http://..."'`).
fn unquote(url: &str) -> String {
    let quoted = url.len() >= 2
        && ((url.starts_with('"') && url.ends_with('"'))
            || (url.starts_with('\'') && url.ends_with('\'')));
    if !quoted {
        return url.to_string();
    }
    let inner = &url[1..url.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(n) = chars.next()
        {
            out.push(n);
        } else {
            out.push(c);
        }
    }
    out
}

fn tls_err(what: &'static str, path: &Path, reason: impl ToString) -> Error {
    Error::new(ErrorKind::Tls { what, path: path.to_path_buf(), reason: reason.to_string() })
}

/// Every certificate in a PEM file.
fn read_certs(what: &'static str, path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|e| tls_err(what, path, e))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| tls_err(what, path, e))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => continue,
        }
    }
    if certs.is_empty() {
        return Err(tls_err(what, path, "no PEM certificate in file"));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKey<'static>, Error> {
    let pem = std::fs::read(path).map_err(|e| tls_err("client_key", path, e))?;
    PrivateKey::from_pem(&pem).map_err(|e| tls_err("client_key", path, e))
}

/// The CA certificates of every readable PEM file in a directory (OpenSSL's `CApath`).
fn read_ca_dir(dir: &Path) -> Vec<Certificate<'static>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut certs = Vec::new();
    for p in paths {
        if let Ok(pem) = std::fs::read(&p) {
            certs.extend(ureq::tls::parse_pem(&pem).filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            }));
        }
    }
    certs
}

fn tls_config(cfg: &HttpOutput) -> Result<TlsConfig, Error> {
    let mut tls = TlsConfig::builder();
    if cfg.insecure {
        tls = tls.disable_verification(true);
    }
    if !cfg.ca_cert.is_empty() {
        let certs = read_certs("ca_cert", Path::new(&cfg.ca_cert))?;
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    } else if !cfg.ca_bundle.is_empty() {
        let certs = read_certs("ca_bundle", Path::new(&cfg.ca_bundle))?;
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    } else if !cfg.ca_path.is_empty() {
        let certs = read_ca_dir(Path::new(&cfg.ca_path));
        // An empty or missing directory leaves the built-in Mozilla roots.
        if !certs.is_empty() {
            tls = tls.root_certs(RootCerts::new_with_certs(&certs));
        }
    }
    if cfg.mtls {
        let chain = read_certs("client_cert", Path::new(&cfg.client_cert))?;
        let key = read_key(Path::new(&cfg.client_key))?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(tls.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_quotes() {
        assert_eq!(unquote("http://a/b"), "http://a/b");
        assert_eq!(unquote("\"http://a/b\""), "http://a/b");
        assert_eq!(unquote("'http://a/\\\"b'"), "http://a/\"b");
        assert_eq!(unquote("\""), "\"");
    }

    #[test]
    fn bad_certificate_paths_are_startup_errors() {
        let cfg = HttpOutput {
            url: "https://127.0.0.1:1/".into(),
            ca_cert: "/nonexistent/ca.pem".into(),
            ..HttpOutput::default()
        };
        let e = HttpChannel::new(&cfg, true).unwrap_err();
        assert!(e.to_string().starts_with("http output: ca_cert /nonexistent/ca.pem:"), "{e}");
        let cfg = HttpOutput {
            url: "https://127.0.0.1:1/".into(),
            mtls: true,
            client_cert: "/nonexistent/client.crt".into(),
            ..HttpOutput::default()
        };
        let e = HttpChannel::new(&cfg, true).unwrap_err();
        assert!(e.to_string().contains("client_cert /nonexistent/client.crt"), "{e}");
        let cfg = HttpOutput {
            url: "http://127.0.0.1:1/".into(),
            custom_headers: [("X-Bad\n".to_string(), "v".to_string())].into(),
            ..HttpOutput::default()
        };
        assert!(HttpChannel::new(&cfg, true).is_err());
    }
}
