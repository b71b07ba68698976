//! `motcua-signer`: the local signing tool for USB tokens. See docs/SIGNER.md.

use clap::Parser;
use motcua_signer::{Config, ConfigError, FileConfig, DEFAULT_PORT};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Lets Motcua portal pages ask your USB signing token (PKCS#11) to sign a
/// login challenge. Listens on 127.0.0.1 only; your PIN never leaves this
/// program.
#[derive(Debug, Parser)]
#[command(name = "motcua-signer", version)]
struct Cli {
    /// The token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long, value_name = "PATH")]
    module: Option<PathBuf>,
    /// Origin of a portal allowed to use the signer, e.g.
    /// https://dichvucong.gov.vn (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Port on 127.0.0.1 [default: 47811]. 0 picks a free port.
    #[arg(long)]
    port: Option<u16>,
    /// TOML file with the keys `module`, `allow_origins` and `port`;
    /// options given on the command line win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn config(cli: Cli) -> Result<Config, ConfigError> {
    let file = match &cli.config {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    let module = cli.module.or(file.module).ok_or(ConfigError::NoModule)?;
    let allow_origins = if cli.allow_origins.is_empty() {
        file.allow_origins.unwrap_or_default()
    } else {
        cli.allow_origins
    };
    let mut cfg = Config::new(module, allow_origins);
    cfg.port = cli.port.or(file.port).unwrap_or(DEFAULT_PORT);
    cfg.validate()?;
    Ok(cfg)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cfg = match config(Cli::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("motcua-signer: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "motcua-signer: cannot listen on 127.0.0.1:{}: {e}",
                cfg.port
            );
            return ExitCode::FAILURE;
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("motcua-signer: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Not println!: a closed stdout (a launcher that read the first line
    // and went away) must not stop the signer.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "motcua-signer listening on http://127.0.0.1:{port}");
    for o in &cfg.allow_origins {
        let _ = writeln!(out, "  allowed origin: {o}");
    }
    let _ = out.flush();
    let serve = motcua_signer::serve(cfg, listener);
    tokio::select! {
        r = serve => match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("motcua-signer: {e}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
