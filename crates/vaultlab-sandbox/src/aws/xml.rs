//! Writing query-protocol XML: escaping, success envelopes and error bodies.
//!
//! IAM and STS wrap results in `<XResult>` and put the request id in `<ResponseMetadata>`;
//! EC2 has no result wrapper and a lowerCamel `<requestId>` (botocore's service models).

use axum::http::StatusCode;

use super::Service;

/// Escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// A tiny append-only XML writer; element names are ours, text is always escaped.
#[derive(Default)]
pub struct Xml(String);

impl Xml {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name>text</name>`
    pub fn text(&mut self, name: &str, text: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self.0.push_str(&escape(text));
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `<name>…</name>` with children written by `body`.
    pub fn node(&mut self, name: &str, body: impl FnOnce(&mut Xml)) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        body(self);
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub fn finish(self) -> String {
        self.0
    }
}

fn namespace(service: Service) -> &'static str {
    match service {
        Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
        Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        Service::Ec2 => "http://ec2.amazonaws.com/doc/2016-11-15/",
    }
}

/// The success body for `action`; `result` is the inner XML (None: an action without output).
pub fn success(service: Service, action: &str, result: Option<String>, request_id: &str) -> String {
    let ns = namespace(service);
    let mut out =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{ns}\">");
    match service {
        Service::Iam | Service::Sts => {
            if let Some(result) = result {
                out.push_str(&format!("<{action}Result>{result}</{action}Result>"));
            }
            out.push_str(&format!(
                "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>",
                escape(request_id)
            ));
        }
        Service::Ec2 => {
            out.push_str(&format!("<requestId>{}</requestId>", escape(request_id)));
            out.push_str(&result.unwrap_or_default());
        }
    }
    out.push_str(&format!("</{action}Response>"));
    out
}

/// The error body in the shape each service uses.
pub fn error(
    service: Option<Service>,
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> String {
    let (code, message, request_id) = (escape(code), escape(message), escape(request_id));
    match service {
        Some(Service::Ec2) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ),
        other => {
            let ns = namespace(other.unwrap_or(Service::Iam));
            let kind = if status.is_server_error() {
                "Receiver"
            } else {
                "Sender"
            };
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_text() {
        let mut xml = Xml::new();
        xml.text("PolicyName", "a<b>&\"c'");
        assert_eq!(
            xml.finish(),
            "<PolicyName>a&lt;b&gt;&amp;&quot;c&apos;</PolicyName>"
        );
    }

    #[test]
    fn iam_success_wraps_result_and_request_id() {
        let body = success(Service::Iam, "GetUser", Some("<User/>".into()), "rid");
        assert!(body.contains("<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User/></GetUserResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetUserResponse>"));
    }

    #[test]
    fn ec2_error_has_no_namespace_and_capital_request_id() {
        let body = error(
            Some(Service::Ec2),
            StatusCode::UNAUTHORIZED,
            "AuthFailure",
            "x",
            "rid",
        );
        assert!(body.contains("<Response><Errors><Error><Code>AuthFailure</Code><Message>x</Message></Error></Errors><RequestID>rid</RequestID></Response>"));
    }
}
