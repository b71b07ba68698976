//! `motcua config example`, config files, environment overrides and the
//! one-line errors for bad values.
use crate::support::{assert_one_line_error, http, run, Sandbox};

/// The example file is a working configuration: `serve --config FILE`
/// starts with it (only the port overridden, by environment) and uses its
/// relative paths from the working folder.
#[tokio::test]
async fn config_example_is_a_working_config_file() {
    let sb = Sandbox::sqlite();
    let out = run(sb.bare(&["config", "example"]));
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("[database]") && out.stdout.contains("[mail.smtp]"));
    let file = sb.path().join("portal.toml");
    std::fs::write(&file, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let file = file.to_string_lossy().to_string();

    let mut cmd = sb.bare(&["--config", &file, "serve"]);
    cmd.env("MOTCUA_LISTEN", "127.0.0.1:0");
    let server = crate::support::Server::start(cmd);
    assert_ne!(server.port(), 8080, "the environment overrides the file");
    let client = http();
    for path in ["/healthz", "/readyz", "/"] {
        let r = client
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(r.status(), 200, "GET {path}");
    }
    // The example's defaults: data/ under the working folder.
    assert!(sb.path().join("data/motcua.db").exists());
    assert!(sb.path().join("data/secret.key").exists());
    drop(server);

    // A value from the file is used; MOTCUA_CONFIG works like --config.
    let edited = out
        .stdout
        .replace("sqlite://data/motcua.db", "sqlite://other/portal.db");
    std::fs::write(&file, edited).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sb.bare(&["migrate"]);
    cmd.env("MOTCUA_CONFIG", &file);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("sqlite backend"), "{out}");
    assert!(sb.path().join("other/portal.db").exists());
}

/// A bad value stops the program before it does anything: exit code 2 and
/// one line naming the key. Secrets in the value are not shown.
#[test]
fn bad_config_values_give_one_line_error_and_exit_2() {
    let sb = Sandbox::sqlite();
    let env_cases: &[(&str, &str, &str)] = &[
        ("DATABASE_URL", "mysql://x", "unsupported scheme"),
        ("MOTCUA_DATABASE__URL", "mysql://x", "database.url"),
        ("MOTCUA_DATABASE__URL", "motcua.db", "database.url"),
        ("MOTCUA_LISTEN", "nowhere", "listen"),
        ("MOTCUA_PUBLIC_URL", "portal.gov.vn", "public_url"),
        ("MOTCUA_LOG_FORMAT", "xml", "log_format"),
        ("MOTCUA_SECURITY__ARGON2_MEMORY_KIB", "1024", "OWASP"),
        ("MOTCUA_SESSION__IDLE_MINUTES", "soon", "idle_minutes"),
        ("MOTCUA_SESSION__IDLE_MINUTES", "0", "idle_minutes"),
        ("MOTCUA_MAIL__TRANSPORT", "pigeon", "mail.transport"),
        ("MOTCUA_MAIL__TRANSPORT", "smtp", "mail.smtp.host"),
        ("MOTCUA_SECURITY__MAX_BODY_BYTES", "100", "max_body_bytes"),
        ("MOTCUA_MAIL__MAX_ATTEMPTS", "0", "mail.max_attempts"),
        ("MOTCUA_NO_SUCH_KEY", "1", "unknown field"),
    ];
    for (key, value, needle) in env_cases {
        let mut cmd = sb.cmd(&["migrate"]);
        // DATABASE_URL is the other spelling of MOTCUA_DATABASE__URL.
        cmd.env_remove("MOTCUA_DATABASE__URL").env(key, value);
        let out = run(cmd);
        let what = format!("migrate with {key}={value}");
        assert_one_line_error(&out, 2, needle, &what);
        // Before logging starts: the whole of stderr is that one line.
        assert!(out.stderr.starts_with("motcua: config error: "), "{out}");
        assert_eq!(out.stderr.trim_end().lines().count(), 1, "{out}");
    }

    // A password in a bad database URL is not printed.
    let mut cmd = sb.cmd(&["serve"]);
    cmd.env_remove("MOTCUA_DATABASE__URL").env(
        "DATABASE_URL",
        "mysql://portal:hunter2-secret@db.example/motcua",
    );
    let out = run(cmd);
    assert_one_line_error(&out, 2, "database.url", "serve with a mysql:// URL");
    assert!(!out.stderr.contains("hunter2-secret"), "{out}");

    // Bad files.
    let file_cases: &[(&str, &str)] = &[
        ("lisen = \"127.0.0.1:8080\"\n", "unknown field"),
        ("listen = \n", "portal.toml"),
        ("[session]\nidle_minutes = \"soon\"\n", "invalid type"),
        ("[mail]\ntransport = \"pigeon\"\n", "mail.transport"),
    ];
    let file = sb.path().join("portal.toml");
    let file_s = file.to_string_lossy().to_string();
    for (text, needle) in file_cases {
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let out = run(sb.cmd(&["--config", &file_s, "migrate"]));
        assert_one_line_error(&out, 2, needle, &format!("--config with {text:?}"));
    }
    let missing = sb.path().join("missing.toml");
    let out = run(sb.cmd(&["--config", &missing.to_string_lossy(), "migrate"]));
    assert_one_line_error(&out, 2, "cannot read config file", "--config missing.toml");

    // Nothing was created by any of these.
    assert!(!sb.path().join("m.db").exists());
    assert!(!sb.path().join("data").exists());
}

/// A database that cannot be reached: exit code 1 and one line saying so,
/// without the password.
#[test]
fn unreachable_postgres_gives_one_line_error_and_exit_1() {
    let sb = Sandbox::with_database("postgres://postgres:pg-secret-pw@127.0.0.1:1/motcua");
    // Both commands wait for the pool's connect timeout: run them at once.
    let (migrate, serve) = std::thread::scope(|s| {
        let m = s.spawn(|| sb.run(&["migrate"]));
        let v = s.spawn(|| sb.run(&["serve"]));
        (
            m.join().unwrap_or_else(|_| panic!("migrate thread")),
            v.join().unwrap_or_else(|_| panic!("serve thread")),
        )
    });
    for (what, out) in [("migrate", migrate), ("serve", serve)] {
        assert_one_line_error(&out, 1, "cannot open database", what);
        assert!(
            out.stderr_lines()[0].starts_with("motcua: "),
            "{what}: {out}"
        );
        assert!(out.stderr.contains("127.0.0.1:1"), "{what}: {out}");
        assert!(!out.stderr.contains("pg-secret-pw"), "{what}: {out}");
    }
}
