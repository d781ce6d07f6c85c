//! The token check: only the root token exists in the sandbox.

use vaultlab_wire::secret::PersistedSecret;

/// Whether `token` is the root token (compared in constant time).
pub fn is_root(token: Option<&str>, root: &PersistedSecret) -> bool {
    let Some(token) = token else { return false };
    let (a, b) = (token.as_bytes(), root.expose().as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_root_token_passes() {
        let root = PersistedSecret::new("hvs.abc");
        assert!(is_root(Some("hvs.abc"), &root));
        assert!(!is_root(Some("hvs.abd"), &root));
        assert!(!is_root(Some(""), &root));
        assert!(!is_root(None, &root));
    }
}
