//! PostgreSQL over TLS: the local server presents a certificate this test makes, signed by a
//! certificate authority this test makes, and plusk checks it (`sslmode=verify-full` with
//! `PLUSK_DATABASE_CA_FILE`), refuses a server its CA did not sign, and encrypts with
//! `sslmode=require`.
//!
//! The server's certificate is switched with `ALTER SYSTEM` and a reload, and switched back when
//! the test ends: other tests' connections meanwhile still use TLS without checking the
//! certificate (libpq's default `sslmode=prefer`), so they are not disturbed.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::common::{Backend, TestDb};

/// A certificate authority and what it signed, as PEM text.
struct Authority {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-signed CA");
        Authority { cert, key }
    }

    /// A server certificate for the local PostgreSQL, by name and by address: `(cert, key)`.
    fn server(&self) -> (String, String) {
        let key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("server certificate");
        (cert.pem(), key.serialize_pem())
    }
}

/// The server's certificate switched to ours until dropped.
struct ServerCert {
    admin: String,
}

impl ServerCert {
    /// Writes the certificate and key where the server can read them (owned by the server's
    /// user, the key private, as PostgreSQL demands) and reloads the server.
    fn install(admin: &str, dir: &Path, cert: &str, key: &str) -> ServerCert {
        let mut conn = PgConnection::establish(admin).expect("connect as the test superuser");
        let data_dir: String = setting(&mut conn, "data_directory");
        let owner = std::fs::metadata(&data_dir).expect("stat the data directory");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
        let put = |name: &str, text: &str, mode: u32| -> PathBuf {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write PEM");
            std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).expect(
                "give the server's user the certificate (the TLS test runs as root, as in CI)",
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .expect("chmod PEM");
            path
        };
        let cert_path = put("server.crt", cert, 0o644);
        let key_path = put("server.key", key, 0o600);
        diesel::sql_query(format!(
            "ALTER SYSTEM SET ssl_cert_file = '{}'",
            cert_path.display()
        ))
        .execute(&mut conn)
        .expect("set ssl_cert_file");
        diesel::sql_query(format!(
            "ALTER SYSTEM SET ssl_key_file = '{}'",
            key_path.display()
        ))
        .execute(&mut conn)
        .expect("set ssl_key_file");
        reload(&mut conn);
        ServerCert {
            admin: admin.to_string(),
        }
    }
}

impl Drop for ServerCert {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query("ALTER SYSTEM RESET ssl_cert_file").execute(&mut conn);
            let _ = diesel::sql_query("ALTER SYSTEM RESET ssl_key_file").execute(&mut conn);
            reload(&mut conn);
        }
    }
}

fn setting(conn: &mut PgConnection, name: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let rows: Vec<Setting> =
        diesel::sql_query(format!("SELECT current_setting('{name}') AS value"))
            .load(conn)
            .expect("read a setting");
    rows.into_iter().next().expect("one row").value
}

fn reload(conn: &mut PgConnection) {
    diesel::sql_query("SELECT pg_reload_conf()")
        .execute(conn)
        .expect("reload the server's configuration");
}

/// `url` with `params` added to its query string.
fn with_params(url: &str, params: &str) -> String {
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}{params}")
}

/// Runs `plusk ARGS` on `url`, with a CA file when one is given: (succeeded, stdout + stderr).
fn plusk(url: &str, ca: Option<&Path>, args: &[&str]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_plusk"));
    cmd.args(args)
        .env("DATABASE_URL", url)
        .env_remove("PLUSK_DATABASE_CA_FILE")
        .env_remove("PGSSLMODE")
        .env_remove("RUST_LOG");
    if let Some(ca) = ca {
        cmd.env("PLUSK_DATABASE_CA_FILE", ca);
    }
    let out = cmd.output().expect("run plusk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn plusk_checks_the_certificate_of_a_postgresql_server_over_tls() {
    let Some(db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let admin = std::env::var("PLUSK_TEST_POSTGRES_URL").expect("set, since the db exists");
    let dir = tempfile::tempdir().expect("temp dir");
    let ours = Authority::new("plusk test CA");
    let (cert, key) = ours.server();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ours.cert.pem()).expect("write CA");
    let strangers = Authority::new("someone else's CA");
    let wrong_ca = dir.path().join("wrong-ca.pem");
    std::fs::write(&wrong_ca, strangers.cert.pem()).expect("write the other CA");
    let _switched = ServerCert::install(&admin, dir.path(), &cert, &key);

    // The reload reaches new connections shortly: wait until the server presents our
    // certificate, through plusk itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (migrated, said) = loop {
        let (ok, said) = plusk(&db.url, Some(&ca_file), &["migrate"]);
        if ok || Instant::now() > deadline {
            break (ok, said);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(migrated, "verify-full with our CA: {said}");
    let (created, said) = plusk(
        &db.url,
        Some(&ca_file),
        &["keys", "create", "--name", "ops", "--role", "admin"],
    );
    assert!(created, "{said}");

    let (healthy, report) = plusk(&db.url, Some(&ca_file), &["doctor"]);
    assert!(healthy, "{report}");
    assert!(
        report.contains("the connection is encrypted (TLSv1."),
        "doctor says the connection is encrypted: {report}"
    );

    // A server our CA did not sign is refused, and the message says why.
    let (ok, said) = plusk(&db.url, Some(&wrong_ca), &["doctor"]);
    assert!(!ok, "a certificate from another CA must be refused");
    assert!(said.contains("certificate verify failed"), "{said}");

    // sslmode=require encrypts without checking who signed.
    let required = with_params(&db.url, "sslmode=require");
    let (ok, report) = plusk(&required, None, &["doctor"]);
    assert!(ok && report.contains("encrypted (TLSv1."), "{report}");

    // sslmode=disable really is plain text, which the doctor says in plain words; and so is a
    // loopback URL that chooses nothing (plusk's default on this machine).
    for plain in [with_params(&db.url, "sslmode=disable"), db.url.clone()] {
        let (ok, report) = plusk(&plain, None, &["doctor"]);
        assert!(ok && report.contains("not encrypted"), "{plain}: {report}");
    }

    // A CA file with an sslmode that never checks is a mistake, refused before connecting.
    let (ok, said) = plusk(&required, Some(&ca_file), &["doctor"]);
    assert!(!ok && said.contains("sslmode=require never does"), "{said}");
}
