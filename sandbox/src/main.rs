//! `hubdb-sandbox [--port N] [--token T]... [--token-without-scope T]... [--seed FILE]
//! [--latency-ms N] [--rate-limit N] [--rate-window-ms N] [--oauth-client ID:SECRET[:URI]]...
//! [--oauth-auto-approve] [--oauth-deny-without-redirect] [--oauth-drop-optional-scopes]
//! [--oauth-rotate-refresh-tokens] [--oauth-code-lifetime-secs N]
//! [--oauth-token-lifetime-secs N]`
//!
//! Prints the base URL (`http://127.0.0.1:PORT`) as the first line of stdout, then serves
//! until SIGINT or SIGTERM.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use hubdb_sandbox::{DEMO_CLIENT_ID, DEMO_TOKEN, OAuthApp, SandboxConfig, Seed, start};

const USAGE: &str = "usage: hubdb-sandbox [--port N] [--token T]... [--token-without-scope T]... \
                     [--seed FILE] [--latency-ms N] [--rate-limit N] [--rate-window-ms N] \
                     [--oauth-client ID:SECRET[:REDIRECT_URI]]... [--oauth-auto-approve] \
                     [--oauth-deny-without-redirect] [--oauth-drop-optional-scopes] \
                     [--oauth-rotate-refresh-tokens] [--oauth-code-lifetime-secs N] \
                     [--oauth-token-lifetime-secs N] [--exit-with-stdin]";

#[tokio::main]
async fn main() -> ExitCode {
    // `--exit-with-stdin`: stop when standard input closes, so a test harness that dies or
    // keeps the process in a static that is never dropped leaves no server behind.
    let (with_stdin, args): (Vec<String>, Vec<String>) = std::env::args()
        .skip(1)
        .partition(|a| a == "--exit-with-stdin");
    let config = match parse_args(args.into_iter()) {
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
    eprintln!(
        "hubdb-sandbox: serving HubDB v3; demo token {DEMO_TOKEN}; demo OAuth client id \
         {DEMO_CLIENT_ID}"
    );
    if with_stdin.is_empty() {
        wait_for_signal().await;
    } else {
        tokio::select! {
            () = wait_for_signal() => {}
            () = stdin_closed() => {}
        }
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err("help requested".into());
        }
        if switch(&mut config, &flag) {
            continue;
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
            "--oauth-client" => config.oauth.apps.push(OAuthApp::parse_option(&value)?),
            "--oauth-code-lifetime-secs" => {
                config.oauth.code_lifetime = Duration::from_secs(number(&flag, &value)?)
            }
            "--oauth-token-lifetime-secs" => {
                config.oauth.token_lifetime = Duration::from_secs(number(&flag, &value)?)
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(config)
}

/// The options without a value; true when `flag` was one.
fn switch(config: &mut SandboxConfig, flag: &str) -> bool {
    let oauth = &mut config.oauth;
    let setting = match flag {
        "--oauth-auto-approve" => &mut oauth.auto_approve,
        "--oauth-deny-without-redirect" => &mut oauth.deny_without_redirect,
        "--oauth-drop-optional-scopes" => &mut oauth.drop_optional_scopes,
        "--oauth-rotate-refresh-tokens" => &mut oauth.rotate_refresh_tokens,
        _ => return false,
    };
    *setting = true;
    true
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

/// Resolves when standard input reaches its end (the parent closed it or exited).
async fn stdin_closed() {
    let (closed, wait) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    let _ = wait.await;
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
    fn oauth_options_fill_the_oauth_configuration() {
        let config = parse_args(args(&[
            "--oauth-auto-approve",
            "--oauth-client",
            "app:secret:http://127.0.0.1:9000/cb",
            "--oauth-rotate-refresh-tokens",
            "--oauth-token-lifetime-secs",
            "60",
            "--oauth-code-lifetime-secs",
            "5",
        ]))
        .unwrap();
        let oauth = config.oauth;
        assert!(oauth.auto_approve && oauth.rotate_refresh_tokens);
        assert!(!oauth.deny_without_redirect && !oauth.drop_optional_scopes);
        assert_eq!(oauth.apps[0].redirect_uris, ["http://127.0.0.1:9000/cb"]);
        assert_eq!(
            (oauth.token_lifetime, oauth.code_lifetime),
            (Duration::from_secs(60), Duration::from_secs(5))
        );
        assert!(parse_args(args(&["--oauth-client", "no-secret"])).is_err());
    }

    #[test]
    fn unknown_options_and_bad_numbers_are_refused() {
        assert!(parse_args(args(&["--nope", "1"])).is_err());
        assert!(parse_args(args(&["--port", "x"])).is_err());
        assert!(parse_args(args(&["--port"])).is_err());
    }
}
