//! SigV4 verification by re-signing: we rebuild the canonical request from what arrived,
//! sign it with the stored secret and compare in constant time. Nothing here logs.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Everything but AWS's unreserved characters (`A-Za-z0-9-_.~`) is percent-encoded.
const AWS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Why an `Authorization` header could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not SigV4 at all (e.g. another scheme).
    UnsupportedAlgorithm,
    /// SigV4 but a part is missing or malformed; the text names it (no secrets in it).
    Incomplete(String),
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=…`.
pub fn parse_authorization(header: &str) -> Result<Authorization, ParseError> {
    let header = header.trim();
    let rest = header
        .strip_prefix(ALGORITHM)
        .ok_or(ParseError::UnsupportedAlgorithm)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential.ok_or_else(|| ParseError::Incomplete("Credential".into()))?;
    let signed = signed.ok_or_else(|| ParseError::Incomplete("SignedHeaders".into()))?;
    let signature = signature.ok_or_else(|| ParseError::Incomplete("Signature".into()))?;
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" || parts[0].is_empty() {
        return Err(ParseError::Incomplete("Credential".into()));
    }
    let signed_headers: Vec<String> = signed
        .split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if signed_headers.is_empty() {
        return Err(ParseError::Incomplete("SignedHeaders".into()));
    }
    Ok(Authorization {
        access_key_id: parts[0].to_string(),
        date: parts[1].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
        signed_headers,
        signature: signature.to_string(),
    })
}

/// The parts of an HTTP request that SigV4 covers, as they came off the wire.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub raw_path: &'a str,
    /// The query string as sent, without `?`.
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn aws_encode(text: &str) -> String {
    utf8_percent_encode(text, AWS_ENCODE).to_string()
}

/// Non-S3 services sign the path encoded once more, segment by segment (`/` stays).
fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".into();
    }
    raw_path
        .split('/')
        .map(aws_encode)
        .collect::<Vec<_>>()
        .join("/")
}

fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded_pairs(raw_query)
        .into_iter()
        .map(|(k, v)| (aws_encode(&k), aws_encode(&v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes `a=b&c` (percent-decoding only: a `+` in a signed query is taken literally, as
/// the SDKs encode spaces as `%20`).
fn form_urlencoded_pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Trims a header value and collapses inner runs of spaces.
fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn canonical_request(req: &SignedRequest<'_>, auth: &Authorization) -> String {
    let mut headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<String> = req
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| canonical_header_value(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    // The body's own hash, always. An `X-Amz-Content-Sha256` header is S3's business: the
    // query API has no unsigned payloads, and trusting the header would let a captured
    // signature carry any body.
    let payload_hash = sha256_hex(req.body);
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.raw_path),
        canonical_query(req.raw_query),
        headers,
        auth.signed_headers.join(";"),
        payload_hash
    )
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The hex signature we would have sent (for tests and fixtures).
pub fn sign(req: &SignedRequest<'_>, auth: &Authorization, secret: &str, amz_date: &str) -> String {
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let sts = string_to_sign(amz_date, &auth.scope(), &canonical_request(req, auth));
    hex::encode(hmac(&key, sts.as_bytes()))
}

/// True when the request's signature is the one `secret` produces. Constant-time compare.
pub fn verify(req: &SignedRequest<'_>, auth: &Authorization, secret: &str, amz_date: &str) -> bool {
    let Ok(provided) = hex::decode(&auth.signature) else {
        return false;
    };
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let sts = string_to_sign(amz_date, &auth.scope(), &canonical_request(req, auth));
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(sts.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    /// `get-vanilla` from AWS's SigV4 test suite.
    #[test]
    fn verifies_the_aws_get_vanilla_vector() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let auth = parse_authorization(header).unwrap();
        let h = headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let req = SignedRequest {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: &h,
            body: b"",
        };
        assert_eq!(
            canonical_request(&req, &auth),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(verify(&req, &auth, SECRET, "20150830T123600Z"));
        assert!(!verify(&req, &auth, "wrong", "20150830T123600Z"));
    }

    /// Signed locally by botocore 1.43's `SigV4Auth` (an IAM query POST).
    #[test]
    fn verifies_a_botocore_signed_iam_post() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=602f4bced456b6913d907242310172868326c9cad103692694ebb8be4c2553ed";
        let auth = parse_authorization(header).unwrap();
        let h = headers(&[
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "127.0.0.1:4566"),
            ("x-amz-date", "20261123T085823Z"),
        ]);
        let body = b"Action=ListUsers&Version=2010-05-08";
        let req = SignedRequest {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &h,
            body,
        };
        assert!(verify(&req, &auth, SECRET, "20261123T085823Z"));
        let tampered = SignedRequest {
            body: b"Action=DeleteUser&Version=2010-05-08",
            ..req
        };
        assert!(!verify(&tampered, &auth, SECRET, "20261123T085823Z"));
    }

    /// A captured ListUsers request, its payload hash sent (and signed) in
    /// `X-Amz-Content-Sha256`, resent with a CreateAccessKey body.
    #[test]
    fn a_payload_hash_header_never_stands_in_for_the_body() {
        let listed = b"Action=ListUsers&Version=2010-05-08";
        let h = headers(&[
            ("host", "127.0.0.1:4566"),
            ("x-amz-content-sha256", &sha256_hex(listed)),
            ("x-amz-date", "20261123T085823Z"),
        ]);
        let mut auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00",
        )
        .unwrap();
        let captured = SignedRequest {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &h,
            body: listed,
        };
        auth.signature = sign(&captured, &auth, SECRET, "20261123T085823Z");
        assert!(verify(&captured, &auth, SECRET, "20261123T085823Z"));
        let replayed = SignedRequest {
            body: b"Action=CreateAccessKey&UserName=admin&Version=2010-05-08",
            ..captured
        };
        assert!(!verify(&replayed, &auth, SECRET, "20261123T085823Z"));
    }

    /// `UNSIGNED-PAYLOAD` as the payload hash, as S3 clients sign: refused whatever the body.
    #[test]
    fn an_unsigned_payload_is_refused() {
        let h = headers(&[
            ("host", "127.0.0.1:4566"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-amz-date", "20261123T085823Z"),
        ]);
        let mut auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00",
        )
        .unwrap();
        let req = SignedRequest {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &h,
            body: b"Action=ListUsers&Version=2010-05-08",
        };
        // The client's canonical request ends in UNSIGNED-PAYLOAD instead of the body's hash.
        let ours = canonical_request(&req, &auth);
        let (head, _) = ours.rsplit_once('\n').unwrap();
        let theirs = format!("{head}\nUNSIGNED-PAYLOAD");
        let key = signing_key(SECRET, &auth.date, &auth.region, &auth.service);
        let sts = string_to_sign("20261123T085823Z", &auth.scope(), &theirs);
        auth.signature = hex::encode(hmac(&key, sts.as_bytes()));
        assert!(!verify(&req, &auth, SECRET, "20261123T085823Z"));
    }

    #[test]
    fn canonical_query_is_sorted_and_aws_encoded() {
        assert_eq!(canonical_query("b=2&a=x%20y&a=1&c"), "a=1&a=x%20y&b=2&c=");
        assert_eq!(canonical_query("k=a%2Fb*"), "k=a%2Fb%2A");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(canonical_header_value("  a   b  c "), "a b c");
    }

    #[test]
    fn rejects_other_schemes_and_incomplete_headers() {
        assert_eq!(
            parse_authorization("Basic abc"),
            Err(ParseError::UnsupportedAlgorithm)
        );
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=A/1/r/s/aws4_request"),
            Err(ParseError::Incomplete(_))
        ));
    }

    #[test]
    fn a_garbage_signature_does_not_verify_or_panic() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=zz";
        let auth = parse_authorization(header).unwrap();
        let h = HeaderMap::new();
        let req = SignedRequest {
            method: "GET",
            raw_path: "",
            raw_query: "",
            headers: &h,
            body: b"",
        };
        assert!(!verify(&req, &auth, SECRET, "20150830T123600Z"));
    }
}
