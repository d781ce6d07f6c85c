//! `vaultlab room --tls`: the room's certificate, made for the names learners reach it by
//! (the listen address; for a wildcard one, this machine's interface addresses and
//! localhost), kept beside the state so a restarted room serves the same one, and the pin
//! its join line carries.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use super::Stop;
use super::error::UserError;
use crate::tls_pin::{Pin, fingerprint, fingerprint_text};
use vaultlab_sandbox::tls::{TlsIdentity, paths_for_state};

/// The certificate of the room whose state is `state`: kept, else made for `listen`.
pub fn identity(state: &Path, listen: SocketAddr) -> Result<Arc<TlsIdentity>, Stop> {
    let (cert, key) = paths_for_state(state);
    TlsIdentity::load_or_make(&cert, &key, &names(listen, &interface_addresses()))
        .map(Arc::new)
        .map_err(|e| UserError::Room(e.to_string()).into())
}

/// The names a certificate for `listen` carries: that address, or, for a wildcard one,
/// every address of this machine, and localhost.
fn names(listen: SocketAddr, interfaces: &[IpAddr]) -> Vec<String> {
    let mut names = Vec::new();
    if listen.ip().is_unspecified() {
        names.push("localhost".to_owned());
        names.push("127.0.0.1".to_owned());
        names.push("::1".to_owned());
        names.extend(interfaces.iter().map(ToString::to_string));
    } else {
        names.push(listen.ip().to_string());
        if listen.ip().is_loopback() {
            names.push("localhost".to_owned());
        }
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.clone()));
    names
}

/// This machine's IP addresses (IPv6 link-local ones aside: a URL cannot name them
/// without a zone).
fn interface_addresses() -> Vec<IpAddr> {
    let mut found = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list that freeifaddrs releases; each
    // ifa_addr is read according to its family.
    unsafe {
        if libc::getifaddrs(&raw mut list) != 0 {
            return found;
        }
        let mut entry = list;
        while let Some(ifa) = entry.as_ref() {
            if let Some(addr) = ifa.ifa_addr.as_ref() {
                match i32::from(addr.sa_family) {
                    libc::AF_INET => {
                        let v4 = &*ifa.ifa_addr.cast::<libc::sockaddr_in>();
                        found.push(IpAddr::from(u32::from_be(v4.sin_addr.s_addr).to_be_bytes()));
                    }
                    libc::AF_INET6 => {
                        let v6 = &*ifa.ifa_addr.cast::<libc::sockaddr_in6>();
                        let ip = std::net::Ipv6Addr::from(v6.sin6_addr.s6_addr);
                        if !ip.is_unicast_link_local() {
                            found.push(IpAddr::V6(ip));
                        }
                    }
                    _ => {}
                }
            }
            entry = ifa.ifa_next;
        }
        libc::freeifaddrs(list);
    }
    found
}

/// What learners and the facilitator are shown of a room's certificate.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The join line's `--pin`.
    pub pin: String,
    /// `sha256:AB:12:…`.
    pub fingerprint: String,
}

pub fn shown(identity: &TlsIdentity) -> Shown {
    let der = identity.certificate_der();
    Shown {
        pin: Pin::of_certificate(der).to_string(),
        fingerprint: fingerprint_text(&fingerprint(der)),
    }
}

/// When a kept certificate was made for other names than the join line's host (the room
/// restarted on another network): what to say. vaultlab in a seat trusts it by its pin
/// (the lab's Vault and AWS calls alike), but the real CLIs of `--env` (`aws`, `bao`)
/// check the name and refuse it.
pub fn name_warning(identity: &TlsIdentity, join_url: &str) -> Option<String> {
    let host = reqwest::Url::parse(join_url).ok()?.host_str()?.to_owned();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let names = identity.names();
    if names.is_empty() || names.contains(&host) {
        return None;
    }
    Some(format!(
        "the kept certificate names {}, not {host}: vaultlab in a seat trusts it by its pin, but the real CLIs (aws, bao with join --env) check the name and refuse it at {host}; make a new one: stop the room and move {} and its key away (learners then need the new join line)",
        names.join(", "),
        identity.certificate_path().display()
    ))
}

/// When the room is served without --tls though a certificate is kept for its state
/// (the facilitator probably meant --tls): what to say. Learners whose seat files hold its
/// pin join by https, which a plain room does not answer.
pub fn kept_but_unused_warning(state: &Path) -> Option<String> {
    let (cert, _) = paths_for_state(state);
    cert.is_file().then(|| {
        format!(
            "a certificate is kept for this room ({}), but it is served without --tls: learners who joined with its --pin cannot reach it; to serve TLS again, stop it and start it with --tls",
            cert.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_room_is_named_by_every_address_of_the_machine() {
        let lan = [IpAddr::from([10, 1, 2, 3]), IpAddr::from([127, 0, 0, 1])];
        let any: SocketAddr = "0.0.0.0:8200".parse().unwrap();
        assert_eq!(
            names(any, &lan),
            ["localhost", "127.0.0.1", "::1", "10.1.2.3"]
        );
        let one: SocketAddr = "10.1.2.3:8200".parse().unwrap();
        assert_eq!(names(one, &lan), ["10.1.2.3"]);
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert_eq!(names(loopback, &lan), ["127.0.0.1", "localhost"]);
    }

    #[test]
    fn a_kept_certificate_left_unused_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("room.json");
        assert_eq!(kept_but_unused_warning(&state), None);
        let (cert, key) = paths_for_state(&state);
        TlsIdentity::load_or_make(&cert, &key, &["127.0.0.1".to_owned()]).unwrap();
        let warning = kept_but_unused_warning(&state).unwrap();
        assert!(
            warning.contains("served without --tls") && warning.contains("start it with --tls"),
            "{warning}"
        );
        assert!(warning.contains(&cert.display().to_string()), "{warning}");
    }

    #[test]
    fn a_kept_certificate_for_other_names_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = paths_for_state(&dir.path().join("room.json"));
        let names = ["10.1.2.3".to_owned(), "localhost".to_owned()];
        let identity = TlsIdentity::load_or_make(&cert, &key, &names).unwrap();
        assert_eq!(name_warning(&identity, "https://10.1.2.3:8200"), None);
        let warning = name_warning(&identity, "https://10.9.9.9:8200").unwrap();
        assert!(
            warning.starts_with("the kept certificate names 10.1.2.3, localhost, not 10.9.9.9"),
            "{warning}"
        );
    }

    #[test]
    fn this_machine_has_a_loopback_address() {
        assert!(interface_addresses().iter().any(IpAddr::is_loopback));
    }
}
