//! Keys from the AWS CLI's shared files (`~/.aws/credentials`, `~/.aws/config`), as the
//! CLI finds them, for prefilling the root keys in live mode. Static keys only: SSO and
//! role profiles are for the learner's own tools, not for Vault's root config.

use std::path::PathBuf;

use secrecy::SecretString;

#[derive(Debug, Clone)]
pub struct ProfileKeys {
    pub profile: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub region: Option<String>,
}

/// The profile named by `AWS_PROFILE` (else `default`), read from the files the
/// environment points at (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`) or from
/// `~/.aws/`. `None` when there is no such profile with static keys.
pub fn load(env: impl Fn(&str) -> Option<String>) -> Option<ProfileKeys> {
    let home = env("HOME").map(PathBuf::from);
    let file = |var: &str, name: &str| {
        env(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    let credentials =
        std::fs::read_to_string(file("AWS_SHARED_CREDENTIALS_FILE", "credentials")?).ok()?;
    let config = file("AWS_CONFIG_FILE", "config")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
    from_files(&profile, &credentials, &config)
}

/// The pure part: find the profile's keys in the credentials file and its region in the
/// config file (where sections other than `default` are `[profile NAME]`).
pub fn from_files(profile: &str, credentials: &str, config: &str) -> Option<ProfileKeys> {
    let access_key_id = value(credentials, profile, "aws_access_key_id")?;
    let secret = value(credentials, profile, "aws_secret_access_key")?;
    let config_section = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let region =
        value(config, &config_section, "region").or_else(|| value(credentials, profile, "region"));
    Some(ProfileKeys {
        profile: profile.to_owned(),
        access_key_id,
        secret_access_key: SecretString::from(secret),
        region,
    })
}

/// `key = value` in `[section]` of an INI text.
fn value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim() == section;
            continue;
        }
        if in_section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            let v = v.trim();
            return (!v.is_empty()).then(|| v.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = defaultsecret

# a comment
[lab]
aws_access_key_id=AKIALAB
aws_secret_access_key=labsecret
";
    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile lab]
region = us-west-2
";

    #[test]
    fn the_default_profile_and_its_region() {
        let keys = from_files("default", CREDENTIALS, CONFIG).unwrap();
        assert_eq!(keys.access_key_id, "AKIADEFAULT");
        assert_eq!(keys.secret_access_key.expose_secret(), "defaultsecret");
        assert_eq!(keys.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn a_named_profile_reads_its_profile_section_in_config() {
        let keys = from_files("lab", CREDENTIALS, CONFIG).unwrap();
        assert_eq!(keys.access_key_id, "AKIALAB");
        assert_eq!(keys.region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn a_missing_profile_or_key_gives_nothing() {
        assert!(from_files("nope", CREDENTIALS, CONFIG).is_none());
        assert!(from_files("default", "[default]\naws_access_key_id = A\n", "").is_none());
    }

    #[test]
    fn load_follows_the_environment_to_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("creds");
        std::fs::write(&credentials, CREDENTIALS).unwrap();
        let path = credentials.to_str().unwrap().to_owned();
        let keys = load(|name| match name {
            "AWS_SHARED_CREDENTIALS_FILE" => Some(path.clone()),
            "AWS_PROFILE" => Some("lab".into()),
            "HOME" => Some("/nonexistent".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(keys.access_key_id, "AKIALAB");
        assert_eq!(keys.region, None, "no config file there");
    }
}
