//! IAM user names as Vault's default `username_template` makes them:
//! `vault-<display>-<role>` (cut to 42 bytes), `-<unix time>-<20 base62>`, cut to 64 bytes;
//! characters outside `[a-zA-Z0-9+=,.@_-]` in the display and role names become `_`.

use rand::Rng;

/// Vault's default template, as `config/root` reads it back.
pub const DEFAULT_USERNAME_TEMPLATE: &str = r#"{{ if (eq .Type "STS") }}{{ printf "vault-%s-%s" (unix_time) (random 20) | truncate 32 }}{{ else }}{{ printf "vault-%s-%s-%s" (printf "%s-%s" (.DisplayName) (.PolicyName) | truncate 42) (unix_time) (random 20) | truncate 64 }}{{ end }}"#;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` random base62 characters (Vault's `base62.Random`).
pub fn random_base62(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// Whether a `username_template` is the default one (empty counts as the default; spacing is
/// ignored, since older Vault versions spelled it with different blanks).
pub fn is_default_template(template: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    template.trim().is_empty() || squash(template) == squash(DEFAULT_USERNAME_TEMPLATE)
}

/// Vault's `normalizeDisplayName`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Go template `truncate`: cuts to at most `n` bytes (never inside a UTF-8 character here,
/// as normalized names are ASCII).
fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_owned();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The IAM user name for `display_name`/`role_name` at `unix_time`, with `random` as the
/// 20-character tail.
pub fn iam_username(display_name: &str, role_name: &str, unix_time: i64, random: &str) -> String {
    let head = truncate(
        &format!("{}-{}", normalize(display_name), normalize(role_name)),
        42,
    );
    truncate(&format!("vault-{head}-{unix_time}-{random}"), 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_for_the_lab_role() {
        let name = iam_username("root", "my-role", 1_763_900_000, "aB3dE5fG7hJ9kL1mN3pQ");
        assert_eq!(name, "vault-root-my-role-1763900000-aB3dE5fG7hJ9kL1mN3pQ");
        assert_eq!(name.len(), 50);
    }

    #[test]
    fn long_role_names_are_cut_to_42_then_64() {
        let role = "r".repeat(60);
        let name = iam_username("root", &role, 1_763_900_000, &"x".repeat(20));
        assert_eq!(name.len(), 64);
        assert!(name.starts_with(&format!("vault-root-{}", "r".repeat(37))));
        // 6 + 42 + 1 + 10 + 1 = 60, so 4 random characters are left.
        assert!(name.ends_with("-1763900000-xxxx"));
    }

    #[test]
    fn invalid_characters_become_underscores() {
        let name = iam_username("user pass:alice", "my/role", 1, "R");
        assert_eq!(name, "vault-user_pass_alice-my_role-1-R");
    }

    #[test]
    fn random_tail_is_base62() {
        let tail = random_base62(20);
        assert_eq!(tail.len(), 20);
        assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn recognizes_the_default_template_whatever_the_spacing() {
        assert!(is_default_template(""));
        assert!(is_default_template(DEFAULT_USERNAME_TEMPLATE));
        assert!(is_default_template(
            &DEFAULT_USERNAME_TEMPLATE.replace("\"vault-%s-%s\" ", "\"vault-%s-%s\"  ")
        ));
        assert!(!is_default_template("{{ .DisplayName }}"));
    }
}
