//! The AWS secrets engine at one mount: `config/root`, `config/lease`, `roles/…`,
//! `creds/…` (and `sts/…`).

mod config;
mod creds;
mod roles;
mod rotate_root;

use super::VaultServer;
use super::http::{Reply, VaultRequest};

/// Vault's `framework.GenericNameWithAtRegex`: `\w(([\w-.@]+)?\w)?`.
pub fn is_valid_name(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = name.chars();
    let (Some(first), Some(last)) = (chars.next(), name.chars().last()) else {
        return false;
    };
    word(first) && word(last) && name.chars().all(|c| word(c) || "-.@".contains(c))
}

impl VaultServer {
    /// Handles `rest` (the path below the mount) for the AWS mount at `mount` (`aws/`).
    pub(super) async fn aws_route(&self, mount: &str, rest: &str, req: &VaultRequest) -> Reply {
        use super::http::Operation::*;
        let rest = rest.trim_start_matches('/');
        match rest {
            // A list is routed as `<path>/`, which only `roles/` matches.
            _ if req.operation == List
                && rest.trim_end_matches('/') != "roles"
                && !rest.starts_with("static-") =>
            {
                Reply::unsupported_path()
            }
            "config/root" => match req.operation {
                Read => self.config_root_read(mount),
                Update => self.config_root_write(mount, req),
                _ => Reply::unsupported_operation(),
            },
            "config/lease" => match req.operation {
                Read => self.config_lease_read(mount),
                Update => self.config_lease_write(mount, req),
                _ => Reply::unsupported_operation(),
            },
            "config/rotate-root" => match req.operation {
                Update => self.config_rotate_root(mount).await,
                _ => Reply::unsupported_operation(),
            },
            "roles" | "roles/" => match req.operation {
                List => self.roles_list(mount),
                _ => Reply::unsupported_operation(),
            },
            _ => {
                if let Some(name) = rest.strip_prefix("roles/").filter(|n| is_valid_name(n)) {
                    return match req.operation {
                        Read => self.role_read(mount, name),
                        Update => self.role_write(mount, name, req),
                        Delete => self.role_delete(mount, name),
                        List | Patch | Scan => Reply::unsupported_operation(),
                    };
                }
                let creds = rest
                    .strip_prefix("creds/")
                    .map(|n| (n, false))
                    .or_else(|| rest.strip_prefix("sts/").map(|n| (n, true)));
                if let Some((name, via_sts)) = creds.filter(|(n, _)| is_valid_name(n)) {
                    return match req.operation {
                        Read | Update => self.creds_issue(mount, name, via_sts, req).await,
                        _ => Reply::unsupported_operation(),
                    };
                }
                if let Some(what) = ["static-roles", "static-creds"].into_iter().find(|p| {
                    rest.trim_end_matches('/') == *p || rest.starts_with(&format!("{p}/"))
                }) {
                    return Reply::not_implemented(format!(
                        "vaultlab sandbox does not implement {mount}{what}/ (Vault's static roles); \
                         the lab uses dynamic iam_user credentials from {mount}creds/NAME"
                    ));
                }
                Reply::unsupported_path()
            }
        }
    }
}

/// Vault's `Endpoint ignored these unrecognized parameters: [a b]` warning, if any.
pub fn ignored_params_warning(req: &VaultRequest, known: &[&str]) -> Option<String> {
    let mut ignored: Vec<&str> = req
        .data
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if ignored.is_empty() {
        return None;
    }
    ignored.sort_unstable();
    Some(format!(
        "Endpoint ignored these unrecognized parameters: [{}]",
        ignored.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_follow_vaults_pattern() {
        assert!(is_valid_name("my-role"));
        assert!(is_valid_name("a"));
        assert!(is_valid_name("deploy@prod.v2"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("a/b"));
    }
}
