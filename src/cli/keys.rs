//! `plusk keys …`.

use std::process::ExitCode;

use crate::db::DbConn;
use crate::domain::keys::Role;
use crate::domain::time;
use crate::service::keys as svc;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key; the key is the last line of stdout and is never shown again.
    Create {
        /// 1–64 of A-Z a-z 0-9 _ . - (never reused).
        #[arg(long)]
        name: String,
        /// app, moderator, analyst or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List keys (names, roles, dates; never the keys).
    List,
    /// Revoke a key by name.
    Revoke { name: String },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: crate::domain::Rejection| e.to_string())
}

pub fn run(conn: &mut DbConn, cmd: &KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Create { name, role } => {
            let new = svc::create(conn, name, *role)?;
            println!("created key {} with role {}", new.info.name, new.info.role);
            println!("{}", new.key);
        }
        KeysCommand::List => {
            println!(
                "{:<24} {:<10} {:<28} revoked_at",
                "name", "role", "created_at"
            );
            for k in svc::list(conn)? {
                let revoked = k.revoked_at.map(time::format).unwrap_or_else(|| "-".into());
                println!(
                    "{:<24} {:<10} {:<28} {revoked}",
                    k.name,
                    k.role,
                    time::format(k.created_at)
                );
            }
        }
        KeysCommand::Revoke { name } => {
            svc::revoke(conn, name)?;
            println!("revoked key {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
