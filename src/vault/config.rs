//! Where to find Vault and how to talk to it, read from the environment as the `vault` CLI
//! reads it (`api/client.go` `ReadEnvironment`, the token helper for `~/.vault-token`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use super::error::VaultError;

/// The CLI's default address when `VAULT_ADDR` is unset.
pub const DEFAULT_ADDRESS: &str = "https://127.0.0.1:8200";
/// The CLI's default client timeout when `VAULT_CLIENT_TIMEOUT` is unset.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the token came from, so `doctor` can say which one is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// No token: only unauthenticated endpoints (health, seal-status) will work.
    None,
    /// `VAULT_TOKEN`.
    Env,
    /// The token helper's file (`~/.vault-token`), trimmed.
    File(PathBuf),
    /// Given by the program (e.g. the sandbox's own token).
    Explicit,
}

/// Proxy settings as Go's `http.ProxyFromEnvironment` reads them (which is what the `vault`
/// CLI uses): `HTTP_PROXY`/`http_proxy` for `http://` addresses, `HTTPS_PROXY`/`https_proxy`
/// for `https://`, `NO_PROXY`/`no_proxy` exclusions; loopback is never proxied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// As the environment `get` reads (empty values count as unset) has them.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| names.iter().find_map(|n| get(n).filter(|v| !v.is_empty()));
        Self {
            http: first(&["HTTP_PROXY", "http_proxy"]),
            https: first(&["HTTPS_PROXY", "https_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// Settings given on the command line. Each wins over its environment variable, as the
/// `vault` CLI's `-address`, `-namespace`, `-ca-cert`, `-ca-path`, `-tls-skip-verify` and
/// `-client-timeout` do. There is no token flag on purpose: a token on a command line
/// leaks into shell history and `ps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultFlags {
    pub address: Option<String>,
    pub namespace: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub ca_path: Option<PathBuf>,
    pub skip_verify: Option<bool>,
    /// As `VAULT_CLIENT_TIMEOUT`: seconds, or a duration such as `90s`.
    pub client_timeout: Option<String>,
    /// A room's certificate pin (`vaultlab join --pin`): only that certificate is trusted.
    pub pin: Option<crate::tls_pin::Pin>,
    /// This Vault is a workshop room's (`vaultlab join`): no answer is the room's to explain.
    pub in_room: bool,
}

impl VaultFlags {
    /// Whether any flag was given (they mean live mode).
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

/// Everything the client needs to reach one Vault server.
#[derive(Clone)]
pub struct VaultConfig {
    /// `VAULT_ADDR`, e.g. `http://127.0.0.1:8200` (no trailing slash, no `/v1`).
    pub address: Url,
    pub token: Option<SecretString>,
    pub token_source: TokenSource,
    /// `VAULT_NAMESPACE`, sent as `X-Vault-Namespace`.
    pub namespace: Option<String>,
    /// `VAULT_CACERT`: a PEM bundle; when set, only these roots are trusted (as the CLI does).
    pub ca_cert: Option<PathBuf>,
    /// `VAULT_CAPATH`: a directory of PEM files, trusted in the same way.
    pub ca_path: Option<PathBuf>,
    /// `VAULT_SKIP_VERIFY`.
    pub skip_verify: bool,
    /// A room's pinned certificate: trusted alone, in place of any roots.
    pub pin: Option<crate::tls_pin::Pin>,
    /// `VAULT_CLIENT_TIMEOUT`; zero means no timeout (as Go's `http.Client`).
    pub timeout: Duration,
    pub proxy: ProxySettings,
    /// A workshop room's Vault, reached from a seat: its hints speak of the room, not of
    /// VAULT_ADDR, which the learner never set.
    pub in_room: bool,
}

impl fmt::Debug for VaultConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultConfig")
            .field("address", &self.address.as_str())
            .field(
                "token",
                &match self.token {
                    Some(_) => "[redacted]",
                    None => "none",
                },
            )
            .field("token_source", &self.token_source)
            .field("namespace", &self.namespace)
            .field("ca_cert", &self.ca_cert)
            .field("ca_path", &self.ca_path)
            .field("skip_verify", &self.skip_verify)
            .field("pin", &self.pin)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .field("in_room", &self.in_room)
            .finish()
    }
}

impl VaultConfig {
    /// A config for `address` with an explicit token and the CLI's defaults otherwise.
    pub fn new(address: &str, token: Option<SecretString>) -> Result<Self, VaultError> {
        let token_source = if token.is_some() {
            TokenSource::Explicit
        } else {
            TokenSource::None
        };
        Ok(Self {
            address: parse_address(address, "VAULT_ADDR")?,
            token,
            token_source,
            namespace: None,
            ca_cert: None,
            ca_path: None,
            skip_verify: false,
            pin: None,
            timeout: DEFAULT_TIMEOUT,
            proxy: ProxySettings::default(),
            in_room: false,
        })
    }

    /// Reads the process environment (and `~/.vault-token`).
    pub fn from_env() -> Result<Self, VaultError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a variable name → its value), so that tests need not
    /// touch the process environment. The home directory for `~/.vault-token` is `HOME`
    /// (else `USERPROFILE`) as `lookup` reports it. Empty values count as unset, as in Go.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, VaultError> {
        Self::from_sources(&VaultFlags::default(), lookup)
    }

    /// Flags first, then the environment through `lookup`, as the `vault` CLI decides each
    /// setting. An error names the flag or the variable the bad value came from.
    pub fn from_sources(
        flags: &VaultFlags,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VaultError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        // A setting's value and where it came from.
        let pick = |flag: &Option<String>, flag_name: &'static str, var: &'static str| match flag
            .as_ref()
            .filter(|v| !v.is_empty())
        {
            Some(value) => Some((value.clone(), flag_name)),
            None => get(var).map(|value| (value, var)),
        };
        let path_flag =
            |path: &Option<PathBuf>| path.as_ref().map(|p| p.to_string_lossy().into_owned());

        let address = match pick(&flags.address, "--address", "VAULT_ADDR") {
            Some((value, source)) => parse_address(&value, source)?,
            None => parse_address(DEFAULT_ADDRESS, "VAULT_ADDR")?,
        };

        let (token, token_source) = match get("VAULT_TOKEN") {
            Some(token) => (Some(SecretString::from(token)), TokenSource::Env),
            // The file is the source even while it is missing or blank, so a `vault
            // login` made after start is picked up on the next request.
            None => match token_file(&get) {
                Some(path) => (read_token_file(&path)?, TokenSource::File(path)),
                None => (None, TokenSource::None),
            },
        };

        let skip_verify = match flags.skip_verify {
            Some(value) => value,
            None => match get("VAULT_SKIP_VERIFY") {
                Some(v) => parse_go_bool(&v).ok_or_else(|| VaultError::Config {
                    setting: "VAULT_SKIP_VERIFY".into(),
                    reason: format!(
                        "{v:?} is not a boolean (use 1, t, true, TRUE, True, 0, f, false, FALSE or False)"
                    ),
                })?,
                None => false,
            },
        };

        let timeout = match pick(
            &flags.client_timeout,
            "--client-timeout",
            "VAULT_CLIENT_TIMEOUT",
        ) {
            Some((v, source)) => parse_duration_second(&v).ok_or_else(|| VaultError::Config {
                setting: source.into(),
                reason: format!(
                    "{v:?} is neither a number of seconds nor a duration like 90s, 2m or 1h30m"
                ),
            })?,
            None => DEFAULT_TIMEOUT,
        };

        Ok(Self {
            address,
            token,
            token_source,
            namespace: pick(&flags.namespace, "--namespace", "VAULT_NAMESPACE").map(|(v, _)| v),
            ca_cert: pick(&path_flag(&flags.ca_cert), "--ca-cert", "VAULT_CACERT")
                .map(|(v, _)| PathBuf::from(v)),
            ca_path: pick(&path_flag(&flags.ca_path), "--ca-path", "VAULT_CAPATH")
                .map(|(v, _)| PathBuf::from(v)),
            skip_verify,
            pin: flags.pin.clone(),
            timeout,
            proxy: ProxySettings::from_env(get),
            in_room: flags.in_room,
        })
    }

    /// The token to send now. A token from the token helper's file is read again, as the
    /// `vault` CLI reads it for every command: a `vault login` in another terminal takes
    /// effect on the next request. If the file has gone, the token read at start is kept.
    pub fn current_token(&self) -> Option<SecretString> {
        if let TokenSource::File(path) = &self.token_source
            && let Ok(Some(token)) = read_token_file(path)
        {
            return Some(token);
        }
        self.token.clone()
    }

    /// The address as the learner would type it (no trailing slash).
    pub fn address_str(&self) -> &str {
        self.address.as_str().trim_end_matches('/')
    }
}

/// The token helper's file: `~/.vault-token`, with home from `HOME` (else `USERPROFILE`).
fn token_file(get: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    get("HOME")
        .or_else(|| get("USERPROFILE"))
        .map(|home| PathBuf::from(home).join(".vault-token"))
}

/// The token in the token helper's file, trimmed; `None` if there is no file or it is blank.
fn read_token_file(path: &std::path::Path) -> Result<Option<SecretString>, VaultError> {
    match std::fs::read_to_string(path) {
        Ok(contents) if !contents.trim().is_empty() => {
            Ok(Some(SecretString::from(contents.trim().to_owned())))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VaultError::Config {
            setting: "~/.vault-token".into(),
            reason: format!("cannot read {}: {e}", path.display()),
        }),
    }
}

fn parse_address(raw: &str, source: &str) -> Result<Url, VaultError> {
    let url = Url::parse(raw.trim()).map_err(|e| VaultError::Config {
        setting: source.into(),
        reason: format!("{raw:?} is not a URL ({e}); expected e.g. http://127.0.0.1:8200"),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(VaultError::Config {
            setting: source.into(),
            reason: format!("{raw:?} must start with http:// or https://"),
        });
    }
    if url.host_str().is_none() {
        return Err(VaultError::Config {
            setting: source.into(),
            reason: format!("{raw:?} has no host"),
        });
    }
    Ok(url)
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Vault's `parseutil.ParseDurationSecond`: a bare integer is seconds, a `d` suffix is
/// days, anything else a Go duration (`90s`, `1m30s`, `1.5h`). Negative values are refused.
pub fn parse_duration_second(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return Some(Duration::ZERO);
    }
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Some(days) = value.strip_suffix('d')
        && let Ok(days) = days.parse::<u64>()
    {
        return days.checked_mul(86_400).map(Duration::from_secs);
    }
    parse_go_duration(value)
}

/// Go's `time.ParseDuration` for non-negative values: `300ms`, `1.5h`, `2h45m`, `0`.
pub fn parse_go_duration(value: &str) -> Option<Duration> {
    vaultlab_wire::go_duration::parse_duration(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<VaultConfig, VaultError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        VaultConfig::from_lookup(move |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_vault_cli() {
        let c = config(&[]).unwrap();
        assert_eq!(c.address_str(), "https://127.0.0.1:8200");
        assert!(c.token.is_none());
        assert_eq!(c.token_source, TokenSource::None);
        assert_eq!(c.namespace, None);
        assert!(!c.skip_verify);
        assert_eq!(c.timeout, Duration::from_secs(60));
    }

    #[test]
    fn reads_every_variable() {
        let c = config(&[
            ("VAULT_ADDR", "http://10.0.0.5:8200/"),
            ("VAULT_TOKEN", "hvs.envtoken"),
            ("VAULT_NAMESPACE", "team-a/"),
            ("VAULT_CACERT", "/etc/ca.pem"),
            ("VAULT_CAPATH", "/etc/cas"),
            ("VAULT_SKIP_VERIFY", "true"),
            ("VAULT_CLIENT_TIMEOUT", "5"),
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("no_proxy", "internal"),
        ])
        .unwrap();
        assert_eq!(c.address_str(), "http://10.0.0.5:8200");
        assert_eq!(c.token.as_ref().unwrap().expose_secret(), "hvs.envtoken");
        assert_eq!(c.token_source, TokenSource::Env);
        assert_eq!(c.namespace.as_deref(), Some("team-a/"));
        assert_eq!(c.ca_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(c.ca_path, Some(PathBuf::from("/etc/cas")));
        assert!(c.skip_verify);
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.proxy.https.as_deref(), Some("http://proxy:3128"));
        assert_eq!(c.proxy.http, None);
        assert_eq!(c.proxy.no_proxy.as_deref(), Some("internal"));
    }

    #[test]
    fn skip_verify_parses_like_go_strconv_parse_bool() {
        for (value, expected) in [
            ("1", true),
            ("t", true),
            ("TRUE", true),
            ("True", true),
            ("true", true),
            ("0", false),
            ("f", false),
            ("false", false),
            ("FALSE", false),
        ] {
            let c = config(&[("VAULT_SKIP_VERIFY", value)]).unwrap();
            assert_eq!(c.skip_verify, expected, "VAULT_SKIP_VERIFY={value}");
        }
        // Empty is unset, as `os.Getenv(...) != ""` in the CLI.
        assert!(!config(&[("VAULT_SKIP_VERIFY", "")]).unwrap().skip_verify);
        for bad in ["yes", "on", "tRuE", "2"] {
            let err = config(&[("VAULT_SKIP_VERIFY", bad)]).unwrap_err();
            assert!(
                matches!(&err, VaultError::Config { setting, .. } if setting == "VAULT_SKIP_VERIFY"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn token_falls_back_to_the_token_helper_file_in_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".vault-token"), "  s.fromfile\n").unwrap();
        let home_str = home.path().to_str().unwrap();
        let c = config(&[("HOME", home_str)]).unwrap();
        assert_eq!(c.token.as_ref().unwrap().expose_secret(), "s.fromfile");
        assert_eq!(
            c.token_source,
            TokenSource::File(home.path().join(".vault-token"))
        );

        // VAULT_TOKEN wins over the file; an empty VAULT_TOKEN does not.
        let c = config(&[("HOME", home_str), ("VAULT_TOKEN", "s.env")]).unwrap();
        assert_eq!(c.token.as_ref().unwrap().expose_secret(), "s.env");
        let c = config(&[("HOME", home_str), ("VAULT_TOKEN", "")]).unwrap();
        assert_eq!(c.token.as_ref().unwrap().expose_secret(), "s.fromfile");

        // No file, or a blank one: no token, no error.
        let empty_home = tempfile::tempdir().unwrap();
        let c = config(&[("HOME", empty_home.path().to_str().unwrap())]).unwrap();
        assert!(c.token.is_none());
        std::fs::write(empty_home.path().join(".vault-token"), "\n").unwrap();
        let c = config(&[("HOME", empty_home.path().to_str().unwrap())]).unwrap();
        assert!(c.token.is_none());
        let file = empty_home.path().join(".vault-token");
        assert_eq!(c.token_source, TokenSource::File(file.clone()));
        // A `vault login` after start: the next request has the token.
        std::fs::write(&file, "s.afterlogin\n").unwrap();
        assert_eq!(c.current_token().unwrap().expose_secret(), "s.afterlogin");
    }

    #[test]
    fn client_timeout_takes_seconds_or_a_duration() {
        let t = |v: &str| config(&[("VAULT_CLIENT_TIMEOUT", v)]).map(|c| c.timeout);
        assert_eq!(t("30").unwrap(), Duration::from_secs(30));
        assert_eq!(t("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(t("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(t("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(t("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(t("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(t("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(t("0").unwrap(), Duration::ZERO);
        for bad in ["-5", "10x", "abc", "1 m", "m"] {
            assert!(
                matches!(t(bad), Err(VaultError::Config { .. })),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn go_durations_as_vault_prints_them() {
        assert_eq!(parse_go_duration("30m0s"), Some(Duration::from_secs(1800)));
        assert_eq!(
            parse_go_duration("12h0m0s"),
            Some(Duration::from_secs(43_200))
        );
        assert_eq!(
            parse_go_duration("768h0m0s"),
            Some(Duration::from_secs(2_764_800))
        );
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn a_bad_address_is_a_config_error() {
        for bad in ["127.0.0.1:8200", "ftp://vault", "not a url"] {
            let err = config(&[("VAULT_ADDR", bad)]).unwrap_err();
            assert!(
                matches!(&err, VaultError::Config { setting, .. } if setting == "VAULT_ADDR"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn flags_win_over_the_environment_setting_by_setting() {
        let env: HashMap<String, String> = [
            ("VAULT_ADDR", "http://from-env:8200"),
            ("VAULT_NAMESPACE", "env-ns"),
            ("VAULT_CACERT", "/env/ca.pem"),
            ("VAULT_CAPATH", "/env/cas"),
            ("VAULT_SKIP_VERIFY", "true"),
            ("VAULT_CLIENT_TIMEOUT", "5"),
            ("VAULT_TOKEN", "s.env"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let lookup = |name: &str| env.get(name).cloned();

        // No flags: the environment decides.
        let c = VaultConfig::from_sources(&VaultFlags::default(), lookup).unwrap();
        assert_eq!(c.address_str(), "http://from-env:8200");
        assert!(c.skip_verify);

        let flags = VaultFlags {
            address: Some("https://from-flag:8200".into()),
            namespace: Some("flag-ns".into()),
            ca_cert: Some("/flag/ca.pem".into()),
            ca_path: Some("/flag/cas".into()),
            skip_verify: Some(false),
            client_timeout: Some("90s".into()),
            pin: None,
            in_room: false,
        };
        assert!(flags.any());
        let c = VaultConfig::from_sources(&flags, lookup).unwrap();
        assert_eq!(c.address_str(), "https://from-flag:8200");
        assert_eq!(c.namespace.as_deref(), Some("flag-ns"));
        assert_eq!(c.ca_cert, Some(PathBuf::from("/flag/ca.pem")));
        assert_eq!(c.ca_path, Some(PathBuf::from("/flag/cas")));
        assert!(
            !c.skip_verify,
            "--tls-skip-verify=false beats VAULT_SKIP_VERIFY=true"
        );
        assert_eq!(c.timeout, Duration::from_secs(90));
        // The token only ever comes from the environment or the token file.
        assert_eq!(c.token.as_ref().unwrap().expose_secret(), "s.env");

        // One flag overrides only its own setting.
        let only_ns = VaultFlags {
            namespace: Some("team".into()),
            ..VaultFlags::default()
        };
        let c = VaultConfig::from_sources(&only_ns, lookup).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert_eq!(c.address_str(), "http://from-env:8200");
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert!(!VaultFlags::default().any());
    }

    #[test]
    fn a_bad_flag_value_names_the_flag_not_the_variable() {
        let flags = VaultFlags {
            address: Some("127.0.0.1:8200".into()),
            ..VaultFlags::default()
        };
        let err = VaultConfig::from_sources(&flags, |_| None).unwrap_err();
        assert!(
            matches!(&err, VaultError::Config { setting, .. } if setting == "--address"),
            "{err:?}"
        );
        let flags = VaultFlags {
            client_timeout: Some("soon".into()),
            ..VaultFlags::default()
        };
        let err = VaultConfig::from_sources(&flags, |_| None).unwrap_err();
        assert!(
            matches!(&err, VaultError::Config { setting, .. } if setting == "--client-timeout"),
            "{err:?}"
        );
    }

    #[test]
    fn a_token_from_the_file_is_read_again_for_each_request() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join(".vault-token");
        std::fs::write(&file, "s.first\n").unwrap();
        let c = config(&[("HOME", home.path().to_str().unwrap())]).unwrap();
        assert_eq!(c.current_token().unwrap().expose_secret(), "s.first");
        // `vault login` in another terminal rewrites the file.
        std::fs::write(&file, "s.second\n").unwrap();
        assert_eq!(c.current_token().unwrap().expose_secret(), "s.second");
        // A file that has gone leaves the token read at start.
        std::fs::remove_file(&file).unwrap();
        assert_eq!(c.current_token().unwrap().expose_secret(), "s.first");
        // VAULT_TOKEN is fixed for the process.
        let c = config(&[("VAULT_TOKEN", "s.env")]).unwrap();
        assert_eq!(c.current_token().unwrap().expose_secret(), "s.env");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = config(&[("VAULT_TOKEN", "hvs.supersecret")]).unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("supersecret"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }
}
