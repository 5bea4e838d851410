//! `livectl agent install | uninstall | status`: the agent as a service of this user, started
//! at login and restarted on failure, its log in `~/.livectl/agent.log`.
//!
//! - Linux: a systemd user unit, `~/.config/systemd/user/livectl-agent.service`.
//! - macOS: a launchd agent, `~/Library/LaunchAgents/com.livectl.agent.plist`.
//! - Windows: a scheduled task at logon that restarts on failure (a plain program cannot be a
//!   Windows service without speaking the service control protocol).
//!
//! The files are written here rather than through `service-manager`: its systemd uninstall
//! leaves the unit behind when `systemctl --user` cannot be reached, it writes `ExecStart`
//! unquoted (a home folder with a space breaks it), and it has no log redirection.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::agent::config::{AgentConfig, expand_home};

pub const UNIT_NAME: &str = "livectl-agent.service";
pub const LAUNCHD_LABEL: &str = "com.livectl.agent";
pub const TASK_NAME: &str = "livectl-agent";
/// Where the service's output goes.
pub const LOG_FILE: &str = "~/.livectl/agent.log";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Systemd,
    Launchd,
    TaskScheduler,
}

impl Manager {
    pub fn of_this_system() -> Manager {
        if cfg!(target_os = "macos") {
            Manager::Launchd
        } else if cfg!(windows) {
            Manager::TaskScheduler
        } else {
            Manager::Systemd
        }
    }

    /// Where the service's definition lives.
    pub fn definition_path(self) -> PathBuf {
        match self {
            Manager::Systemd => {
                let config = std::env::var_os("XDG_CONFIG_HOME")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| expand_home("~/.config"));
                config.join("systemd/user").join(UNIT_NAME)
            }
            Manager::Launchd => {
                expand_home(&format!("~/Library/LaunchAgents/{LAUNCHD_LABEL}.plist"))
            }
            Manager::TaskScheduler => expand_home("~/.livectl/livectl-agent-task.xml"),
        }
    }
}

/// What the service runs.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub exe: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub server: String,
}

/// A systemd `ExecStart` word: quoted, with `\`, `"` and `%` escaped.
fn systemd_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    format!("\"{escaped}\"")
}

/// The systemd user unit.
pub fn systemd_unit(spec: &ServiceSpec) -> String {
    let log = spec.log.to_string_lossy().replace('%', "%%");
    format!(
        "# Written by `livectl agent install`; removed by `livectl agent uninstall`.\n\
         [Unit]\n\
         Description=livectl agent: the boards on this computer, linked to {server}\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         # Keep trying however often it fails: the boards are useless without it.\n\
         StartLimitIntervalSec=0\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={exe} agent --config {config}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         # The agent STOPs every board when it is stopped.\n\
         KillSignal=SIGINT\n\
         TimeoutStopSec=10\n\
         StandardOutput=append:{log}\n\
         StandardError=append:{log}\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        server = spec.server.replace('%', "%%"),
        exe = systemd_word(&spec.exe),
        config = systemd_word(&spec.config),
    )
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The launchd agent.
pub fn launchd_plist(spec: &ServiceSpec) -> String {
    let (exe, config, log) = (
        xml(&spec.exe.to_string_lossy()),
        xml(&spec.config.to_string_lossy()),
        xml(&spec.log.to_string_lossy()),
    );
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by `livectl agent install`; removed by `livectl agent uninstall`. -->
<plist version="1.0">
<dict>
  <key>Label</key><string>{LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array><string>{exe}</string><string>agent</string><string>--config</string><string>{config}</string></array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>ThrottleInterval</key><integer>5</integer>
  <key>StandardOutPath</key><string>{log}</string>
  <key>StandardErrorPath</key><string>{log}</string>
</dict>
</plist>
"#
    )
}

/// The Windows scheduled task: at logon, restarted every minute on failure, no time limit.
pub fn task_xml(spec: &ServiceSpec) -> String {
    let arguments = xml(&format!(
        "/d /c \"\"{}\" agent --config \"{}\" >> \"{}\" 2>&1\"",
        spec.exe.display(),
        spec.config.display(),
        spec.log.display()
    ));
    format!(
        r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>livectl agent (written by livectl agent install)</Description></RegistrationInfo>
  <Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>
    <Enabled>true</Enabled>
  </Settings>
  <Actions><Exec><Command>cmd.exe</Command><Arguments>{arguments}</Arguments></Exec></Actions>
</Task>
"#
    )
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    anyhow::ensure!(
        output.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        text.trim()
    );
    Ok(text)
}

/// Installs and starts the service; what it did, in words. A service manager that does not
/// answer (no user session bus, say) leaves the definition in place and says how to start it.
pub fn install(config: &Path) -> anyhow::Result<String> {
    let config = expand_home(&config.to_string_lossy());
    let parsed = AgentConfig::from_file(&config).context(
        "the service would run this configuration: fix it first (or run `livectl agent pair`)",
    )?;
    let config = std::fs::canonicalize(&config)?;
    let exe = std::env::current_exe()?;
    let log = expand_home(LOG_FILE);
    if let Some(dir) = log.parent() {
        crate::files::create_private_dir(dir)?;
    }
    let spec = ServiceSpec {
        exe,
        config,
        log: log.clone(),
        server: parsed.server,
    };
    let manager = Manager::of_this_system();
    let path = manager.definition_path();
    let text = match manager {
        Manager::Systemd => systemd_unit(&spec),
        Manager::Launchd => launchd_plist(&spec),
        Manager::TaskScheduler => task_xml(&spec),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    let path_text = path.to_string_lossy().into_owned();
    let started = match manager {
        // Restarted, not just started: a second pairing added a binding the running agent
        // has not read yet.
        Manager::Systemd => run("systemctl", &["--user", "daemon-reload"])
            .and_then(|_| run("systemctl", &["--user", "enable", UNIT_NAME]))
            .and_then(|_| run("systemctl", &["--user", "restart", UNIT_NAME])),
        Manager::Launchd => {
            let _ = run("launchctl", &["unload", &path_text]);
            run("launchctl", &["load", "-w", &path_text])
        }
        Manager::TaskScheduler => run(
            "schtasks",
            &["/Create", "/TN", TASK_NAME, "/XML", &path_text, "/F"],
        )
        .and_then(|_| {
            let _ = run("schtasks", &["/End", "/TN", TASK_NAME]);
            run("schtasks", &["/Run", "/TN", TASK_NAME])
        }),
    };
    let mut said = format!(
        "installed {} (runs {} agent --config {}); log: {}",
        path.display(),
        spec.exe.display(),
        spec.config.display(),
        log.display()
    );
    match started {
        Ok(_) => said.push_str("\nstarted; it starts again at every login and after a failure"),
        Err(err) => said.push_str(&format!(
            "\nnot started: {err:#}\nstart it yourself: {}",
            match manager {
                Manager::Systemd => format!("systemctl --user enable --now {UNIT_NAME}"),
                Manager::Launchd => format!("launchctl load -w {path_text}"),
                Manager::TaskScheduler =>
                    format!("schtasks /Create /TN {TASK_NAME} /XML \"{path_text}\" /F"),
            }
        )),
    }
    if manager == Manager::Systemd {
        said.push_str("\nto run it before anyone logs in (after a reboot): loginctl enable-linger");
    }
    Ok(said)
}

/// Stops and removes the service; `agent.toml` stays.
pub fn uninstall() -> anyhow::Result<String> {
    let manager = Manager::of_this_system();
    let path = manager.definition_path();
    let path_text = path.to_string_lossy().into_owned();
    let stopped = match manager {
        Manager::Systemd => run("systemctl", &["--user", "disable", "--now", UNIT_NAME]),
        Manager::Launchd => run("launchctl", &["unload", "-w", &path_text]),
        Manager::TaskScheduler => run("schtasks", &["/End", "/TN", TASK_NAME])
            .and_then(|_| run("schtasks", &["/Delete", "/TN", TASK_NAME, "/F"])),
    };
    let existed = path.exists();
    if existed {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }
    if manager == Manager::Systemd {
        let _ = run("systemctl", &["--user", "daemon-reload"]);
    }
    let mut said = if existed {
        format!("removed {}", path.display())
    } else {
        format!("no service was installed ({} is absent)", path.display())
    };
    if let Err(err) = stopped
        && existed
    {
        said.push_str(&format!(
            "\nthe service manager said: {err:#} (a running agent stops at the next logout)"
        ));
    }
    Ok(said)
}

/// Whether the service is installed and running, and where its log is.
pub fn status() -> String {
    let manager = Manager::of_this_system();
    let path = manager.definition_path();
    if !path.exists() {
        return format!(
            "not installed ({} is absent): `livectl agent install` installs it",
            path.display()
        );
    }
    let path_text = path.to_string_lossy().into_owned();
    let running = match manager {
        Manager::Systemd => run("systemctl", &["--user", "is-active", UNIT_NAME]),
        Manager::Launchd => run("launchctl", &["list", LAUNCHD_LABEL]),
        Manager::TaskScheduler => run("schtasks", &["/Query", "/TN", TASK_NAME]),
    };
    format!(
        "installed: {path_text}\n{}\nlog: {}",
        match running {
            Ok(out) => format!("service manager: {}", out.trim()),
            Err(err) => format!("not running, or the service manager did not answer: {err:#}"),
        },
        expand_home(LOG_FILE).display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ServiceSpec {
        ServiceSpec {
            exe: PathBuf::from("/home/a b/.livectl/bin/livectl"),
            config: PathBuf::from("/home/a b/.livectl/agent.toml"),
            log: PathBuf::from("/home/a b/.livectl/agent.log"),
            server: "https://live.example.com".into(),
        }
    }

    #[test]
    fn the_definitions_quote_paths_with_spaces() {
        let unit = systemd_unit(&spec());
        assert!(unit.contains(
            "ExecStart=\"/home/a b/.livectl/bin/livectl\" agent --config \"/home/a b/.livectl/agent.toml\""
        ));
        assert!(unit.contains("Restart=on-failure"));
        assert!(unit.contains("StandardOutput=append:/home/a b/.livectl/agent.log"));
        assert!(unit.contains("WantedBy=default.target"));
        let plist = launchd_plist(&spec());
        assert!(plist.contains("<string>/home/a b/.livectl/bin/livectl</string>"));
        assert!(plist.contains("<key>RunAtLoad</key><true/>"));
        let task = task_xml(&spec());
        assert!(task.contains("<LogonTrigger>"));
        assert!(task.contains("&quot;/home/a b/.livectl/bin/livectl&quot; agent --config"));
        assert!(task.contains("<RestartOnFailure>"));
    }
}
