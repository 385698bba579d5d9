//! `hubdb-sandbox [--port N] [--token T]... [--token-without-scope T]... [--seed FILE]
//! [--latency-ms N] [--rate-limit N] [--rate-window-ms N]`
//!
//! Prints the base URL (`http://127.0.0.1:PORT`) as the first line of stdout, then serves
//! until SIGINT or SIGTERM.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use hubdb_sandbox::{DEMO_TOKEN, SandboxConfig, Seed, start};

const USAGE: &str = "usage: hubdb-sandbox [--port N] [--token T]... [--token-without-scope T]... \
                     [--seed FILE] [--latency-ms N] [--rate-limit N] [--rate-window-ms N]";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("hubdb-sandbox: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("hubdb-sandbox: cannot listen: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", sandbox.base_url());
    let _ = std::io::stdout().flush();
    eprintln!("hubdb-sandbox: serving HubDB v3; demo token {DEMO_TOKEN}");
    wait_for_signal().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err("help requested".into());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => config.port = number(&flag, &value)?,
            "--token" => config.tokens.push(value),
            "--token-without-scope" => config.tokens_without_scope.push(value),
            "--seed" => config.seed = Seed::from_file(&value).map_err(|e| e.to_string())?,
            "--latency-ms" => config.latency = Duration::from_millis(number(&flag, &value)?),
            "--rate-limit" => config.rate_limit = number(&flag, &value)?,
            "--rate-window-ms" => {
                config.rate_window = Duration::from_millis(number(&flag, &value)?)
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(config)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} wants a number, got {value}"))
}

/// SIGINT everywhere; SIGTERM too where there are Unix signals.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn options_fill_the_configuration() {
        let config = parse_args(args(&[
            "--port",
            "0",
            "--token",
            "a",
            "--token",
            "b",
            "--latency-ms",
            "5",
            "--rate-limit",
            "7",
            "--rate-window-ms",
            "2000",
        ]))
        .unwrap();
        assert_eq!(config.tokens, ["a", "b"]);
        assert_eq!(config.latency, Duration::from_millis(5));
        assert_eq!(
            (config.rate_limit, config.rate_window),
            (7, Duration::from_secs(2))
        );
    }

    #[test]
    fn unknown_options_and_bad_numbers_are_refused() {
        assert!(parse_args(args(&["--nope", "1"])).is_err());
        assert!(parse_args(args(&["--port", "x"])).is_err());
        assert!(parse_args(args(&["--port"])).is_err());
    }
}
