//! `http_output` over TLS: server verification with `ca_cert`, `insecure`, and client
//! certificates (`mtls`), against an HTTPS server the test starts with its own CA.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::HttpServer;
use falco_engine::Priority;
use falco_outputs::{Alert, FormatOptions, HttpChannel, HttpOutput, OutputEngine, Stats};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "falco-rs test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut sp = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = sp.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut cp = CertificateParams::new(vec!["falco-client".to_string()]).unwrap();
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = cp.signed_by(&client_key, &ca).unwrap();

    let write = |name: &str, pem: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, pem).unwrap();
        p
    };
    let ca_path = write("ca.pem", ca.pem());
    let client_cert_path = write("client.crt", client_cert.pem());
    let client_key_path = write("client.key", client_key.serialize_pem());

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(server_cert.der().to_vec())], key)
        .unwrap();
    Pki {
        _dir: dir,
        ca: ca_path,
        client_cert: client_cert_path,
        client_key: client_key_path,
        server: Arc::new(server),
    }
}

fn send_one(cfg: &HttpOutput) -> Stats {
    let outputs =
        OutputEngine::builder(FormatOptions { json_output: true, ..FormatOptions::default() })
            .detached_channel(HttpChannel::with_timeout(cfg, true, Duration::from_secs(5)).unwrap())
            .build()
            .unwrap();
    outputs.send(Alert::new(1, "r", Priority::Critical, "syscall", "over TLS")).unwrap();
    outputs.shutdown()
}

/// Verify the server with the test CA and present the client certificate.
fn mtls_config(pki: &Pki, server: &HttpServer) -> HttpOutput {
    HttpOutput {
        enabled: true,
        url: format!("https://{}/falco", server.addr),
        ca_cert: pki.ca.display().to_string(),
        mtls: true,
        client_cert: pki.client_cert.display().to_string(),
        client_key: pki.client_key.display().to_string(),
        ..HttpOutput::default()
    }
}

#[test]
fn mtls_with_the_servers_ca_delivers() {
    let pki = pki();
    let server = HttpServer::start_tls(Arc::clone(&pki.server));
    let cfg = mtls_config(&pki, &server);
    let stats = send_one(&cfg);
    assert_eq!((stats.channels[0].delivered, stats.channels[0].errors), (1, 0));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].body.contains(r#""output":"#) && reqs[0].body.contains("over TLS"));

    // The same CA given as `ca_bundle`, and `insecure` (no verification), also deliver.
    let bundle = HttpOutput {
        ca_cert: String::new(),
        ca_bundle: pki.ca.display().to_string(),
        ..cfg.clone()
    };
    assert_eq!(send_one(&bundle).channels[0].delivered, 1);
    let insecure = HttpOutput {
        ca_cert: String::new(),
        ca_path: "/nonexistent".into(),
        insecure: true,
        ..cfg.clone()
    };
    assert_eq!(send_one(&insecure).channels[0].delivered, 1);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn unknown_server_ca_or_missing_client_certificate_fail() {
    let pki = pki();
    let server = HttpServer::start_tls(Arc::clone(&pki.server));
    let base = mtls_config(&pki, &server);
    // The system's CAs do not know the test CA.
    let unknown_ca = HttpOutput { ca_cert: String::new(), ..base.clone() };
    let s = send_one(&unknown_ca);
    assert_eq!((s.channels[0].delivered, s.channels[0].errors), (0, 1));
    // The server requires a client certificate.
    let no_client_cert = HttpOutput { mtls: false, ..base };
    let s = send_one(&no_client_cert);
    assert_eq!((s.channels[0].delivered, s.channels[0].errors), (0, 1));
    assert!(server.requests().is_empty());
}
