//! `wuji console account …`: the accounts of a node's web console, kept in
//! the file `[console] accounts` of its configuration names. A running node
//! reads the file again when it changes.

use clap::{Args, Subcommand};
use serde_json::json;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use wuji_console::accounts::{Accounts, Role};
use wuji_node::config::Overrides;

/// `wuji console …`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// 账号: add, change, remove or list the console's accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
}

/// Where the accounts file is.
#[derive(Debug, Args)]
pub struct FileOpts {
    /// The node's config file; its `[console] accounts` names the file.
    #[arg(long, short, value_name = "FILE", default_value = "wuji.toml")]
    config: PathBuf,
    /// The accounts file itself, instead of the one the config names.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Language of messages and tables: zh (default) or en.
    #[arg(long, env = "WUJI_LANG", default_value = "zh", value_parser = ["zh", "en"])]
    lang: String,
}

impl FileOpts {
    fn out(&self) -> super::output::Out {
        super::output::Out {
            json: self.json,
            en: self.lang == "en",
            codes: false,
        }
    }
}

/// `wuji console account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account (the password is asked for, or read from standard
    /// input with --password-stdin).
    Add {
        /// Its login name (letters of any script, digits, . _ -).
        name: String,
        /// `reader` (查阅: sees this node's region) or `operator` (经办: also
        /// does this node's workflow steps).
        #[arg(long, value_parser = ["reader", "operator"])]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Change the role and password of an existing account.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        file: FileOpts,
    },
    /// Remove an account (its sessions end at their next request).
    Remove {
        /// Its login name.
        name: String,
        #[command(flatten)]
        file: FileOpts,
    },
    /// List the accounts and their roles.
    List {
        #[command(flatten)]
        file: FileOpts,
    },
}

impl Command {
    fn file(&self) -> &FileOpts {
        let Command::Account { command } = self;
        match command {
            AccountCommand::Add { file, .. }
            | AccountCommand::Remove { file, .. }
            | AccountCommand::List { file } => file,
        }
    }

    /// Whether the output is JSON.
    pub fn json(&self) -> bool {
        self.file().json
    }

    /// Whether messages are in English.
    pub fn en(&self) -> bool {
        self.file().lang == "en"
    }
}

fn path_of(f: &FileOpts) -> anyhow::Result<PathBuf> {
    if let Some(p) = &f.file {
        return Ok(p.clone());
    }
    let cfg = wuji_node::Config::load(&f.config, std::env::vars(), &Overrides::default())?;
    Ok(cfg.console.accounts)
}

/// Reads a password: the first line of standard input, or asked for at the
/// terminal without echo.
fn password(stdin: bool) -> anyhow::Result<String> {
    let read_line = || -> anyhow::Result<String> {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    if stdin || !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return read_line();
    }
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    let ask = |prompt: &str| -> anyhow::Result<String> {
        eprint!("{prompt}");
        stty("-echo");
        let p = read_line();
        stty("echo");
        eprintln!();
        p
    };
    let first = ask("密码 password: ")?;
    if ask("再输一次 again: ")? != first {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn save(accounts: &Accounts, path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    accounts.save(path)?;
    Ok(())
}

/// Runs `wuji console …`.
pub fn run(cmd: Command) -> anyhow::Result<()> {
    let Command::Account { command } = cmd;
    match command {
        AccountCommand::Add {
            name,
            role,
            password_stdin,
            replace,
            file,
        } => {
            let path = path_of(&file)?;
            let mut accounts = Accounts::load(&path)?;
            let role = if role == "operator" {
                Role::Operator
            } else {
                Role::Reader
            };
            let pw = password(password_stdin)?;
            accounts.add(&name, role, &pw, replace)?;
            save(&accounts, &path)?;
            super::output::message(
                file.out(),
                &format!("账号 {name}（{}）已写入 {}", role.zh(), path.display()),
                &format!(
                    "account {name} ({}) written to {}",
                    role.en(),
                    path.display()
                ),
                json!({ "file": path, "account": name, "role": role.en() }),
            );
        }
        AccountCommand::Remove { name, file } => {
            let path = path_of(&file)?;
            let mut accounts = Accounts::load(&path)?;
            accounts.remove(&name)?;
            save(&accounts, &path)?;
            super::output::message(
                file.out(),
                &format!("账号 {name} 已删除（{}）", path.display()),
                &format!("account {name} removed ({})", path.display()),
                json!({ "file": path, "removed": name }),
            );
        }
        AccountCommand::List { file } => {
            let path = path_of(&file)?;
            let accounts = Accounts::load(&path)?;
            if file.json {
                let list: Vec<_> = accounts
                    .accounts
                    .iter()
                    .map(|a| json!({ "name": a.name, "role": a.role.en() }))
                    .collect();
                say!("{}", json!({ "file": path, "accounts": list }));
            } else {
                let rows: Vec<Vec<String>> = accounts
                    .accounts
                    .iter()
                    .map(|a| {
                        vec![
                            a.name.clone(),
                            format!("{}（{}）", a.role.zh(), a.role.en()),
                        ]
                    })
                    .collect();
                let head = if file.lang == "en" {
                    ["account", "role"]
                } else {
                    ["账号", "角色"]
                };
                super::output::table(&head.map(String::from), &rows);
            }
        }
    }
    Ok(())
}
