//! Opening the consent page in the user's browser.
//!
//! The command comes from the app's `browser` setting or, on Linux and macOS, the `BROWSER`
//! environment variable, read as `xdg-open` and Python's `webbrowser` read it: a list of
//! commands separated like `PATH` entries, each tried in turn until one starts; in a command
//! `%s` stands for the URL, and without one the URL is appended. Without either, the
//! platform's opener: `xdg-open`, `open` on macOS, `cmd /c start` on Windows.
//!
//! The opener is not waited for: a thread reaps it, so no zombie is left, and reports its
//! exit status; one that fails (as `xdg-open` does on a machine without a desktop) ends the
//! sign-in at once instead of at its timeout.

use std::process::{Child, Command, ExitStatus, Stdio};

use tokio::sync::oneshot;

use crate::{Error, ErrorKind};

/// Separates the commands of a `BROWSER` list, as in `PATH`.
const LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

/// What to tell a user whose browser cannot be opened.
const NO_BROWSER_HINT: &str = "Set the BROWSER environment variable to a browser command, or \
    sign in on a machine with a browser and pass the code as OAuthVerifier.";

/// One command that opens a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BrowserCommand {
    pub program: String,
    pub args: Vec<String>,
    /// Windows: the arguments are already quoted for `cmd` and passed as they are.
    pub verbatim: bool,
}

/// A started opener, watched until it exits.
pub(super) struct Opened {
    program: String,
    exit: oneshot::Receiver<std::io::Result<ExitStatus>>,
}

/// Starts the first command that can be started; the error names each that could not.
pub(super) fn open(url: &str, configured: Option<&str>) -> Result<Opened, Error> {
    let mut failures = Vec::new();
    for command in browser_commands(url, configured) {
        match spawn(&command) {
            Ok(child) => {
                log::debug!("opened the consent page with `{}`", command.program);
                return Ok(Opened::watch(child, command.program));
            }
            Err(e) => failures.push(format!("`{}`: {e}", command.program)),
        }
    }
    Err(Error::new(
        ErrorKind::Config,
        format!(
            "could not open a browser for the OAuth sign-in ({}). {NO_BROWSER_HINT}",
            failures.join("; ")
        ),
    ))
}

/// The commands to try, in order: `configured`, else `BROWSER`, else the platform's opener.
pub(super) fn browser_commands(url: &str, configured: Option<&str>) -> Vec<BrowserCommand> {
    let from_environment = browser_variable();
    let list = configured.or(from_environment.as_deref()).unwrap_or("");
    let commands = commands_of_list(list, url);
    if commands.is_empty() {
        vec![platform_opener(url)]
    } else {
        commands
    }
}

/// `BROWSER` is a Unix convention; Windows has its own default-browser association.
fn browser_variable() -> Option<String> {
    if cfg!(windows) {
        None
    } else {
        std::env::var("BROWSER").ok()
    }
}

pub(super) fn commands_of_list(list: &str, url: &str) -> Vec<BrowserCommand> {
    list.split(LIST_SEPARATOR)
        .filter_map(|entry| command_of(entry, url))
        .collect()
}

/// One `BROWSER` entry: words as a shell splits them, `%s` replaced by the URL.
fn command_of(entry: &str, url: &str) -> Option<BrowserCommand> {
    let mut words = split_words(entry);
    if words.is_empty() {
        return None;
    }
    let has_placeholder = words.iter().any(|word| word.contains("%s"));
    for word in &mut words {
        *word = word.replace("%s", url);
    }
    if !has_placeholder {
        words.push(url.to_string());
    }
    let program = words.remove(0);
    Some(BrowserCommand {
        program,
        args: words,
        verbatim: false,
    })
}

/// Whitespace-separated words; `'...'` and `"..."` quote, and outside Windows (whose paths
/// hold backslashes) a backslash escapes the next character.
fn split_words(text: &str) -> Vec<String> {
    let escapes = !cfg!(windows);
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') if escapes => word.get_or_insert_default().extend(chars.next()),
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '\\') if escapes => word.get_or_insert_default().extend(chars.next()),
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

#[cfg(target_os = "macos")]
fn platform_opener(url: &str) -> BrowserCommand {
    BrowserCommand {
        program: "open".into(),
        args: vec![url.into()],
        verbatim: false,
    }
}

/// `start` takes its first quoted argument as a window title, hence the `""`; the URL is
/// quoted so that `cmd` does not split it at its `&`s.
#[cfg(windows)]
fn platform_opener(url: &str) -> BrowserCommand {
    BrowserCommand {
        program: "cmd".into(),
        args: vec![
            "/c".into(),
            "start".into(),
            "\"\"".into(),
            format!("\"{url}\""),
        ],
        verbatim: true,
    }
}

#[cfg(not(any(windows, target_os = "macos")))]
fn platform_opener(url: &str) -> BrowserCommand {
    BrowserCommand {
        program: "xdg-open".into(),
        args: vec![url.into()],
        verbatim: false,
    }
}

/// The opener's output would land in the host application's terminal, if any.
fn spawn(command: &BrowserCommand) -> std::io::Result<Child> {
    let mut process = Command::new(&command.program);
    for arg in &command.args {
        add_arg(&mut process, arg, command.verbatim);
    }
    process
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

#[cfg(windows)]
fn add_arg(process: &mut Command, arg: &str, verbatim: bool) {
    use std::os::windows::process::CommandExt;
    if verbatim {
        process.raw_arg(arg);
    } else {
        process.arg(arg);
    }
}

#[cfg(not(windows))]
fn add_arg(process: &mut Command, arg: &str, _verbatim: bool) {
    process.arg(arg);
}

impl Opened {
    fn watch(mut child: Child, program: String) -> Opened {
        let (report, exit) = oneshot::channel();
        let reaper = std::thread::Builder::new()
            .name("hubdb-browser-reaper".into())
            .spawn(move || {
                let _ = report.send(child.wait());
            });
        if let Err(e) = reaper {
            log::warn!("cannot watch the browser process `{program}`: {e}");
        }
        Opened { program, exit }
    }

    /// Resolves only if the opener exits with a failure; otherwise never.
    pub(super) async fn failure(self) -> Error {
        match self.exit.await {
            Ok(Ok(status)) if !status.success() => Error::new(
                ErrorKind::Config,
                format!(
                    "could not open a browser for the OAuth sign-in: `{}` exited with {status}. \
                     {NO_BROWSER_HINT}",
                    self.program
                ),
            ),
            _ => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.hubspot.com/oauth/authorize?client_id=c&scope=hubdb";

    fn command(program: &str, args: &[&str]) -> BrowserCommand {
        BrowserCommand {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            verbatim: false,
        }
    }

    #[test]
    fn a_plain_command_gets_the_url_appended() {
        assert_eq!(
            commands_of_list("firefox", URL),
            [command("firefox", &[URL])]
        );
        assert_eq!(
            commands_of_list("  chromium --new-window  ", URL),
            [command("chromium", &["--new-window", URL])]
        );
    }

    #[test]
    fn percent_s_is_replaced_by_the_url() {
        assert_eq!(
            commands_of_list("sh -c 'echo %s > /tmp/x'", URL),
            [command("sh", &["-c", &format!("echo {URL} > /tmp/x")])]
        );
        assert_eq!(
            commands_of_list("open -a Safari --args=%s", URL),
            [command("open", &["-a", "Safari", &format!("--args={URL}")])]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_list_is_tried_in_order_and_quotes_keep_spaces() {
        let list = "\"/opt/My Browser/run\" --x:w3m::";
        assert_eq!(
            commands_of_list(list, URL),
            [
                command("/opt/My Browser/run", &["--x", URL]),
                command("w3m", &[URL])
            ]
        );
        assert_eq!(split_words(r#"a\ b "c\"d" '' e"#), ["a b", "c\"d", "", "e"]);
    }

    #[test]
    fn an_empty_setting_falls_back_to_the_platform_opener() {
        assert_eq!(browser_commands(URL, Some(" ")), [platform_opener(URL)]);
        assert_eq!(
            browser_commands(URL, Some("my-browser")),
            [command("my-browser", &[URL])]
        );
    }

    #[cfg(not(any(windows, target_os = "macos")))]
    #[test]
    fn linux_opens_with_xdg_open() {
        assert_eq!(platform_opener(URL), command("xdg-open", &[URL]));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_failing_opener_is_reported_and_a_good_one_is_not() {
        let failed = open(URL, Some("false")).unwrap().failure().await;
        assert_eq!(failed.kind, ErrorKind::Config);
        assert!(failed.message.contains("`false` exited with"), "{failed}");
        assert!(!failed.message.contains(URL));
        let fine = open(URL, Some("true")).unwrap().failure();
        let waited = tokio::time::timeout(std::time::Duration::from_millis(300), fine).await;
        assert!(waited.is_err(), "a successful opener never fails");
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_cannot_start_names_each_tried() {
        let list = "/nonexistent/browser-a:/nonexistent/browser-b";
        let error = open(URL, Some(list)).err().unwrap();
        assert_eq!(error.kind, ErrorKind::Config);
        assert!(error.message.contains("`/nonexistent/browser-a`"));
        assert!(error.message.contains("`/nonexistent/browser-b`"));
        assert!(error.message.contains("BROWSER"));
    }
}
