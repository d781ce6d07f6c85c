//! Reading AWS's query-protocol XML bodies without a full parser: the client and the
//! sandbox both read an error's `Code` and `Message` this way.

/// The text of the first `<tag>…</tag>` in an XML body, unescaped.
pub fn xml_element(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&close)?;
    Some(
        body[start..end]
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_found_in_an_unusual_error_body() {
        let body = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            xml_element(body, "Code").as_deref(),
            Some("InvalidClientTokenId")
        );
        assert_eq!(
            xml_element(body, "Message").as_deref(),
            Some("The security token included in the request is invalid.")
        );
        assert_eq!(xml_element(body, "Type"), None);
        assert_eq!(
            xml_element("<a>&quot;x&amp;y&quot;</a>", "a").as_deref(),
            Some("\"x&y\"")
        );
    }
}
