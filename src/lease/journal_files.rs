//! Where journals live and what they are called: one file per Vault host, port and
//! namespace under the user's data directory, and the names earlier vaultlabs gave them
//! (keyed by scheme), which a journal takes in when it opens.

use std::path::{Path, PathBuf};

use vaultlab_wire::private_file;

/// `$XDG_DATA_HOME/vaultlab`, else `~/.local/share/vaultlab`.
pub fn data_dir(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .map(|base| base.join("vaultlab"))
}

/// The journal file for one Vault: its host and port (and namespace) made into a file
/// name. Not its scheme: a room restarted with (or without) `--tls` is the same Vault, and
/// its leases must still show.
pub fn path_for(data_dir: &Path, vault_addr: &str, namespace: Option<&str>) -> PathBuf {
    data_dir
        .join("leases")
        .join(file_name(&place(vault_addr), namespace))
}

/// Which Vault an address is, whatever scheme reached it: its host (lowercased, as URLs
/// have it) and port (the scheme's when none is given: `http://h` is port 80, `https://h`
/// 443, two Vaults), and a path below it if any.
pub(super) fn place(vault_addr: &str) -> String {
    match reqwest::Url::parse(vault_addr) {
        Ok(url) if url.host_str().is_some() => {
            let host = url.host_str().unwrap_or_default();
            let port = url
                .port_or_known_default()
                .map(|port| format!(":{port}"))
                .unwrap_or_default();
            let path = url.path().trim_end_matches('/');
            format!("{host}{port}{path}")
        }
        _ => without_scheme(vault_addr).to_ascii_lowercase(),
    }
}

fn without_scheme(vault_addr: &str) -> &str {
    vault_addr
        .strip_prefix("https://")
        .or_else(|| vault_addr.strip_prefix("http://"))
        .unwrap_or(vault_addr)
}

/// The files this Vault's journal may have had under earlier names: keyed by the whole
/// address, one per scheme it was reached by (`http___10.1.2.3_8200.json`), then by the
/// address without its scheme (`10.1.2.3_8200.json`, or `host.json` without a port,
/// which either scheme shared); as typed now, or in lower case. Each is taken in only if the address it records is
/// this Vault's (see `adopt_earlier`).
pub(super) fn earlier_paths(
    main: &Path,
    vault_addr: &str,
    namespace: Option<&str>,
) -> Vec<PathBuf> {
    let Some(dir) = main.parent() else {
        return Vec::new();
    };
    let typed = without_scheme(vault_addr);
    let mut paths: Vec<PathBuf> = [
        vault_addr.to_owned(),
        format!("http://{typed}"),
        format!("https://{typed}"),
        typed.to_owned(),
    ]
    .iter()
    // As typed then, or as typed now: the host's case may differ.
    .flat_map(|address| [address.clone(), address.to_ascii_lowercase()])
    .map(|address| dir.join(file_name(&address, namespace)))
    .filter(|path| path != main)
    .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The files kept beside the journal `main`, sorted: `<stem>.unreadable-<ts>.json`
/// (written by runs that could not read it) and `<stem>.corrupt-<ts>.json` (damaged
/// copies moved aside).
pub(super) fn kept_beside(main: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(stem)) = (main.parent(), main.file_stem().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = listing
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let Some(rest) = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|name| name.strip_prefix(stem))
            else {
                return false;
            };
            (rest.starts_with(".unreadable-") || rest.starts_with(".corrupt-"))
                && rest.ends_with(".json")
        })
        .collect();
    found.sort();
    found
}

/// Whether two paths name one file: on a case-insensitive file system (macOS, Windows)
/// `Vault.Example_8200.json` is `vault.example_8200.json`, and a link is its target.
/// By the file's identity where the platform gives it, else by its resolved path (which
/// Windows gives in the file's own spelling). False when either is not there.
pub(super) fn one_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// The lock of the journal file `path`, held until dropped: a file beside it (`.lock` for
/// `.json`), since the journal itself is replaced by rename on every write.
pub(super) fn lock_beside(path: &Path) -> std::io::Result<std::fs::File> {
    let file = private_file::open_private_append(&path.with_extension("lock"))?;
    file.lock()?;
    Ok(file)
}

/// An address (and namespace) made into a file name.
fn file_name(address: &str, namespace: Option<&str>) -> String {
    let mut name: String = address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Some(namespace) = namespace {
        name.push_str("__ns_");
        name.extend(
            namespace
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    format!("{name}.json")
}
