//! Whether a recording (or any text meant to be shown) holds something that looks like a
//! secret: a Vault token, or an AWS secret access key. For the tests of what vaultlab
//! writes, and of the recording that ships in `assets/`.

/// Vault's token prefixes (service, batch, recovery), as the sandbox and Vault make them.
const TOKEN_PREFIXES: [&str; 3] = ["hvs.", "hvb.", "hvr."];

/// An AWS secret access key is 40 characters of base64; a run of 40 or more of those,
/// with upper and lower case and digits, is taken for one.
const SECRET_KEY_CHARS: usize = 40;

/// `Err` names the first thing that looks like a secret, cut so that the error does not
/// repeat it whole.
pub fn secret_free(text: &str) -> Result<(), String> {
    for prefix in TOKEN_PREFIXES {
        if let Some(at) = text.find(prefix) {
            let rest = &text[at + prefix.len()..];
            if rest
                .chars()
                .take(8)
                .filter(char::is_ascii_alphanumeric)
                .count()
                == 8
            {
                return Err(format!("a Vault token ({prefix}…) at byte {at}"));
            }
        }
    }
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+';
    for run in text.split(|c: char| !is_key_char(c)) {
        let mixed = run.chars().any(|c| c.is_ascii_uppercase())
            && run.chars().any(|c| c.is_ascii_lowercase())
            && run.chars().any(|c| c.is_ascii_digit());
        if run.len() >= SECRET_KEY_CHARS && mixed {
            return Err(format!(
                "what looks like an AWS secret key ({}…)",
                &run[..4]
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secret_keys_are_found_and_masks_and_ids_are_not() {
        assert!(secret_free("export VAULT_TOKEN=hvs.CAESIJ8xQ2abcdefgh").is_err());
        assert!(secret_free("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end").is_err());
        assert!(
            secret_free(
                "AWS_SECRET_ACCESS_KEY=•••• lease aws/creds/my-role/75Vu877nb7qCwowsywBuZpqQ \
                 user vault-root-my-role-1796049243-u940bGKwBXLmXbVTt5em key AKIAVGLWXXCUROEHC3LW \
                 $VAULT_TOKEN http://127.0.0.1:46761/v1/sys/leases/lookup/aws/creds/my-role/"
            )
            .is_ok()
        );
    }
}
